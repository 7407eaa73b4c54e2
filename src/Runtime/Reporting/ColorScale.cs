using System.Globalization;

namespace UNComp.Runtime.Reporting;

/// <summary>A perceptually ordered colour ramp (dark blue → teal → green → yellow, viridis-like) for heat maps.</summary>
public static class ColorScale
{
    private static readonly (double R, double G, double B)[] Stops =
    [
        (68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37),
    ];

    /// <summary>The colour of <paramref name="t"/> ∈ [0, 1] (clamped) as <c>#rrggbb</c>.</summary>
    public static string At(double t)
    {
        if (double.IsNaN(t))
        {
            return "#cccccc";
        }

        t = Math.Clamp(t, 0, 1) * (Stops.Length - 1);
        int i = Math.Min((int)t, Stops.Length - 2);
        double f = t - i;
        var (r0, g0, b0) = Stops[i];
        var (r1, g1, b1) = Stops[i + 1];
        int r = (int)Math.Round(r0 + (r1 - r0) * f), g = (int)Math.Round(g0 + (g1 - g0) * f), b = (int)Math.Round(b0 + (b1 - b0) * f);
        return string.Create(CultureInfo.InvariantCulture, $"#{r:x2}{g:x2}{b:x2}");
    }
}
