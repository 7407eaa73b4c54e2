namespace UNComp.Runtime.Evaluation;

/// <summary>The Wilson score interval of a binomial proportion (Wilson, 1927): sound at 0 %, 100 % and small n.</summary>
public static class WilsonInterval
{
    /// <summary>z of a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>The interval of <paramref name="successes"/> out of <paramref name="trials"/>; (0, 1) when there are no trials.</summary>
    public static (double Low, double High) Compute(int successes, int trials, double z = Z95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes, trials);
        if (trials == 0)
        {
            return (0, 1);
        }

        double p = successes / (double)trials;
        double z2 = z * z;
        double denominator = 1 + (z2 / trials);
        double centre = (p + (z2 / (2.0 * trials))) / denominator;
        double half = z * Math.Sqrt((p * (1 - p) / trials) + (z2 / (4.0 * trials * trials))) / denominator;
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
