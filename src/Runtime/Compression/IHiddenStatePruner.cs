namespace UNComp.Runtime.Compression;

/// <summary>
/// UNComp's hidden-state compression (the "stage" variant): before layer l ≥ 1 the engine asks which tokens
/// survive, gathers the residual stream and positions with those indices (tokens keep their original RoPE
/// positions), and later layers see only the survivors. Pruning is cumulative.
/// </summary>
public interface IHiddenStatePruner
{
    /// <summary>Query rows of the previous layer whose attention forms <see cref="PruneContext.Scores"/> (UNComp: 8).</summary>
    int ObservationWindow { get; }

    /// <summary>How many tokens layer <paramref name="layer"/> processes (the engine prunes only when fewer than it has).</summary>
    int KeepTokens(int layer);

#pragma warning disable CA1716 // 'Select' is the agreed hook name; only VB reserves it, and VB is not a target.
    /// <summary>Fill <paramref name="keep"/> (length = KeepTokens) with strictly increasing token indices in [0, Length).</summary>
    void Select(in PruneContext context, Span<int> keep);
#pragma warning restore CA1716
}
