namespace UNComp.Runtime.Compression.Methods;

/// <summary>
/// UNComp's hidden-state stages as plain values (method §3.2): before layer l ≥ 1 runs, only
/// <see cref="KeepTokensPerLayer"/>[l] tokens survive — those with the highest Σ, over the previous layer's last
/// <see cref="Window"/> query rows and all its query heads, of the attention probability (no pooling), in original
/// order, the last <see cref="Window"/> tokens always kept when <see cref="KeepLastWindow"/>. The residual stream
/// and the positions are gathered with the same indices; pruning is cumulative; layer l prunes only when its keep
/// length is below the tokens it has.
/// </summary>
/// <param name="KeepTokensPerLayer">Tokens layer l processes (index = layer; int.MaxValue = no pruning; layer 0 never prunes).</param>
/// <param name="Window">Query rows of the previous layer that score the tokens (UNComp: 8).</param>
/// <param name="KeepLastWindow">Always keep the last <see cref="Window"/> tokens (the authors' code does not).</param>
public sealed record HiddenStateSpec(IReadOnlyList<int> KeepTokensPerLayer, int Window, bool KeepLastWindow)
{
    /// <summary>Tokens layer l processes (a copy of the list given, so the spec stays immutable).</summary>
    public IReadOnlyList<int> KeepTokensPerLayer { get; init; } = [.. KeepTokensPerLayer ?? throw new ArgumentNullException(nameof(KeepTokensPerLayer))];

    /// <summary>The selection the pruner runs on the layer's scores: the same top-k as KV selection, no pooling.</summary>
    public SelectionSpec Selection => new(ScoreSource.ObservationWindow, Window, 1, PoolingKind.None, 0, KeepLastWindow ? Window : 0, DecodeMode.Fixed);

    /// <summary>Tokens layer <paramref name="layer"/> processes at most.</summary>
    public int KeepTokens(int layer) => layer < KeepTokensPerLayer.Count ? KeepTokensPerLayer[layer] : int.MaxValue;

    /// <inheritdoc />
    public bool Equals(HiddenStateSpec? other) =>
        other is not null && Window == other.Window && KeepLastWindow == other.KeepLastWindow && KeepTokensPerLayer.SequenceEqual(other.KeepTokensPerLayer);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Window);
        hash.Add(KeepLastWindow);
        foreach (int k in KeepTokensPerLayer)
        {
            hash.Add(k);
        }

        return hash.ToHashCode();
    }
}
