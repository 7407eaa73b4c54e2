namespace UNComp.Runtime.Compression.Methods;

/// <summary>The CPU engine's executor of a <see cref="HiddenStateSpec"/> (selection by <see cref="SpecSelection"/>).</summary>
public sealed class SpecHiddenStatePruner : IHiddenStatePruner
{
    /// <summary>Creates the executor.</summary>
    /// <exception cref="ArgumentException">A keep length below 1 or a window below 1.</exception>
    public SpecHiddenStatePruner(HiddenStateSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Window, 1);
        for (int l = 0; l < spec.KeepTokensPerLayer.Count; l++)
        {
            if (spec.KeepTokensPerLayer[l] < 1)
            {
                throw new ArgumentException($"layer {l}: hidden-state keep length {spec.KeepTokensPerLayer[l]} must be at least 1.", nameof(spec));
            }
        }

        Spec = spec;
    }

    /// <summary>The stages this pruner executes.</summary>
    public HiddenStateSpec Spec { get; }

    /// <inheritdoc />
    public int ObservationWindow => Spec.Window;

    /// <inheritdoc />
    public int KeepTokens(int layer) => Spec.KeepTokens(layer);

    /// <inheritdoc />
    public void Select(in PruneContext context, Span<int> keep) => SpecSelection.SelectPrefill(Spec.Selection, context.Scores, keep);
}
