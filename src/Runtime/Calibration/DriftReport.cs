using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Calibration;

/// <summary>Result of a re-calibration: per-layer drift and the profile the new prompts would give.</summary>
/// <param name="Layers">One entry per layer.</param>
/// <param name="Updated">The re-planned profile (same compression settings, new entropies, groups, stages).</param>
public sealed record DriftReport(IReadOnlyList<LayerDrift> Layers, UncompProfile Updated)
{
    /// <summary>Mean Spearman correlation over layers.</summary>
    public double MeanSpearman => Layers.Average(l => l.Spearman);

    /// <summary>Lowest Spearman correlation over layers.</summary>
    public double MinSpearman => Layers.Min(l => l.Spearman);

    /// <summary>Cache units (over all layers) whose group would change.</summary>
    public int ChangedUnits => Layers.Sum(l => l.ChangedUnits.Count);
}
