namespace UNComp.Runtime.Compression;

/// <summary>What an <see cref="IHiddenStatePruner"/> sees before layer <see cref="Layer"/> runs.</summary>
public readonly ref struct PruneContext
{
    /// <summary>Creates a context (the engine does this; tests may too).</summary>
    public PruneContext(int layer, int keepTokens, int observationWindow, ReadOnlySpan<int> positions, ReadOnlySpan<float> scores)
    {
        Layer = layer;
        KeepTokens = keepTokens;
        ObservationWindow = observationWindow;
        Positions = positions;
        Scores = scores;
    }

    /// <summary>The layer about to run (≥ 1).</summary>
    public int Layer { get; }

    /// <summary>Tokens to keep: exactly this many indices must be written.</summary>
    public int KeepTokens { get; }

    /// <summary>Current token count (candidates).</summary>
    public int Length => Positions.Length;

    /// <summary>Rows the scores were summed over (the pruner's window, capped by Length).</summary>
    public int ObservationWindow { get; }

    /// <summary>Absolute RoPE positions of the current tokens.</summary>
    public ReadOnlySpan<int> Positions { get; }

    /// <summary>
    /// Per token: Σ over the previous layer's last w query rows and over all its query heads of the attention
    /// probability (no pooling). Length = <see cref="Length"/>.
    /// </summary>
    public ReadOnlySpan<float> Scores { get; }
}
