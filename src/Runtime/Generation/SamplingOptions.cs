namespace UNComp.Runtime.Generation;

/// <summary>
/// How the next token is chosen from the logits. <see cref="Temperature"/> 0 is greedy (argmax, lowest id on
/// ties); otherwise logits are divided by the temperature, cut to the <see cref="TopK"/> most likely tokens and
/// then to the smallest set whose probability reaches <see cref="TopP"/>, and sampled with a seeded generator.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding.</summary>
    public static SamplingOptions Greedy { get; } = new();

    /// <summary>Softmax temperature; 0 = greedy.</summary>
    public double Temperature { get; init; }

    /// <summary>Keep only the k most likely tokens; 0 = no limit.</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus threshold in (0, 1]; 1 = no cut.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Seed of the sampler; the same seed and inputs give the same tokens.</summary>
    public int Seed { get; init; }

    /// <summary>Whether this is greedy decoding.</summary>
    public bool IsGreedy => Temperature <= 0;

    /// <summary>Checks the ranges.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (Temperature < 0 || double.IsNaN(Temperature) || double.IsInfinity(Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be a finite number ≥ 0 (0 = greedy).");
        }

        if (TopK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "top-k must be ≥ 0 (0 = no limit).");
        }

        if (!(TopP > 0 && TopP <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top-p must be in (0, 1].");
        }
    }
}
