namespace UNComp.Runtime.Compression;

/// <summary>
/// The SnapKV-style selection shared by UNComp, SnapKV and PyramidKV: keep the last w tokens (the observation
/// window) plus the top (capacity − w) earlier tokens by pooled window score. Also the decode-time variant that
/// re-scores cached tokens with the recent queries and evicts the lowest pooled one outside the window.
/// </summary>
public static class WindowScoreSelection
{
    /// <summary>
    /// Prefill selection. <paramref name="keep"/> has length capacity (&lt; scores length). When the capacity is at
    /// most the window, only the most recent capacity tokens are kept.
    /// </summary>
    /// <param name="windowScores">Per token, Σ of the window queries' attention (length L).</param>
    /// <param name="window">Observation window w.</param>
    /// <param name="kernel">Pooling kernel.</param>
    /// <param name="pooling">Pooling kind.</param>
    /// <param name="keep">Receives the kept indices, strictly increasing.</param>
    public static void SelectPrefill(ReadOnlySpan<float> windowScores, int window, int kernel, PoolingKind pooling, Span<int> keep)
    {
        int length = windowScores.Length;
        int capacity = keep.Length;
        if (capacity > length)
        {
            throw new ArgumentException($"capacity {capacity} exceeds the {length} candidate tokens.", nameof(keep));
        }

        int w = Math.Min(window, length);
        if (capacity <= w)
        {
            for (int i = 0; i < capacity; i++)
            {
                keep[i] = length - capacity + i;
            }

            return;
        }

        int prefix = length - w;
        float[] pooled = new float[prefix];
        ScorePooling.Pool(windowScores[..prefix], pooled, kernel, pooling);
        TopKSelection.SelectInOrder(pooled, keep[..(capacity - w)]);
        for (int i = 0; i < w; i++)
        {
            keep[capacity - w + i] = prefix + i;
        }
    }

    /// <summary>
    /// Decode eviction: scores the cached slots with the recent queries (the new token's included), pools the
    /// slots outside the window (the newest w − 1 cached slots are protected: with the new token they form the
    /// window) and returns the lowest. <paramref name="scratch"/> is reused between calls to avoid allocation.
    /// </summary>
    public static int SelectDecodeEviction(in DecodeSelectionContext context, int window, int kernel, PoolingKind pooling, ref float[] scratch)
    {
        int n = context.Length;
        if (scratch.Length < (3 * n) + 1)
        {
            scratch = new float[(3 * n) + 1];
        }

        var scores = scratch.AsSpan(0, n);
        var rowScratch = scratch.AsSpan(n, n + 1);
        if (context.RecentQueryCount > 0)
        {
            context.ComputeWindowScores(scores, rowScratch);
        }
        else
        {
            context.CurrentAttention[..n].CopyTo(scores);
        }

        int candidates = Math.Max(1, n - Math.Max(0, window - 1));
        var pooled = scratch.AsSpan((2 * n) + 1, candidates);
        ScorePooling.Pool(scores[..candidates], pooled, kernel, pooling);
        return TopKSelection.ArgMin(pooled);
    }
}
