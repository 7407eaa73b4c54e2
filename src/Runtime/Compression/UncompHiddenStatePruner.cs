namespace UNComp.Runtime.Compression;

/// <summary>
/// UNComp's hidden-state compression (method §3.2): layer l processes keep(stage(l)) tokens, chosen by the highest
/// column sums of the previous layer's last 8 query rows (summed over heads, no pooling), in original order.
/// The last w tokens always survive unless <see cref="KeepLastWindow"/> is false (the authors' behaviour).
/// </summary>
public sealed class UncompHiddenStatePruner : IHiddenStatePruner
{
    private readonly int[] _keepPerLayer;

    /// <summary>Creates a pruner from the tokens each layer processes.</summary>
    /// <param name="keepTokensPerLayer">Tokens layer l processes (index = layer; layer 0 is never pruned).</param>
    /// <param name="observationWindow">Query rows of the previous layer that score the tokens (default 8).</param>
    /// <param name="keepLastWindow">Always keep the last <paramref name="observationWindow"/> tokens (default true).</param>
    public UncompHiddenStatePruner(IReadOnlyList<int> keepTokensPerLayer, int observationWindow = 8, bool keepLastWindow = true)
    {
        ArgumentNullException.ThrowIfNull(keepTokensPerLayer);
        ArgumentOutOfRangeException.ThrowIfLessThan(observationWindow, 1);
        _keepPerLayer = [.. keepTokensPerLayer];
        for (int l = 0; l < _keepPerLayer.Length; l++)
        {
            if (_keepPerLayer[l] < 1)
            {
                throw new ArgumentException($"layer {l}: keep length {_keepPerLayer[l]} must be at least 1.", nameof(keepTokensPerLayer));
            }
        }

        ObservationWindow = observationWindow;
        KeepLastWindow = keepLastWindow;
    }

    /// <summary>Per-layer keep lengths from stages: every layer of a stage processes its stage's keep length.</summary>
    /// <param name="layers">Decoder layers.</param>
    /// <param name="stages">(first layer, last layer, keep tokens) per stage, contiguous over the layers.</param>
    public static int[] KeepLengthsFromStages(int layers, IEnumerable<(int FirstLayer, int LastLayer, int KeepTokens)> stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        var keep = new int[layers];
        Array.Fill(keep, int.MaxValue);
        foreach (var (first, last, tokens) in stages)
        {
            for (int l = Math.Max(0, first); l <= Math.Min(layers - 1, last); l++)
            {
                keep[l] = tokens;
            }
        }

        return keep;
    }

    /// <inheritdoc />
    public int ObservationWindow { get; }

    /// <summary>Whether the last w tokens are always kept.</summary>
    public bool KeepLastWindow { get; }

    /// <inheritdoc />
    public int KeepTokens(int layer) => layer < _keepPerLayer.Length ? _keepPerLayer[layer] : int.MaxValue;

    /// <inheritdoc />
    public void Select(in PruneContext context, Span<int> keep)
    {
        int n = context.Length;
        int k = keep.Length;
        int forced = KeepLastWindow ? Math.Min(Math.Min(ObservationWindow, n), k) : 0;
        int prefix = n - forced;
        TopKSelection.SelectInOrder(context.Scores[..prefix], keep[..(k - forced)]);
        for (int i = 0; i < forced; i++)
        {
            keep[k - forced + i] = prefix + i;
        }
    }
}
