using System.Numerics.Tensors;

namespace UNComp.Runtime.Compression.Methods;

/// <summary>
/// The CPU execution of a <see cref="SelectionSpec"/>, written once for every method: score → pool over the
/// scored region → reserve sinks and recent tokens → top-k in original order (prefill) or arg-min (decode).
/// Ties: <see cref="TopKSelection"/> keeps the lower index, <see cref="TopKSelection.ArgMin"/> evicts the lower
/// index; indices are in position order, so the earlier token wins a keep tie and loses an eviction tie.
/// </summary>
public static class SpecSelection
{
    /// <summary>
    /// Prefill selection of one unit (or of the hidden states of one layer): fills <paramref name="keep"/> (length
    /// C ≤ L) with strictly increasing indices: [0, s), the top C − s − r of the pooled scores over [s, L − r),
    /// and [L − r, L).
    /// </summary>
    /// <param name="spec">The method's selection.</param>
    /// <param name="scores">Per candidate token (length L), as <see cref="SelectionSpec.Source"/> defines it.</param>
    /// <param name="keep">Receives the kept indices.</param>
    /// <exception cref="ArgumentException">C exceeds L.</exception>
    public static void SelectPrefill(in SelectionSpec spec, ReadOnlySpan<float> scores, Span<int> keep)
    {
        int length = scores.Length;
        int capacity = keep.Length;
        if (capacity > length)
        {
            throw new ArgumentException($"capacity {capacity} exceeds the {length} candidate tokens.", nameof(keep));
        }

        int recent = spec.RecentTokens(capacity);
        int sinks = spec.SinkTokens(capacity);
        int scored = capacity - sinks - recent;
        for (int i = 0; i < sinks; i++)
        {
            keep[i] = i;
        }

        if (scored > 0)
        {
            var region = scores[sinks..(length - recent)];
            float[] pooled = new float[region.Length];
            ScorePooling.Pool(region, pooled, spec.Kernel, spec.Pool);
            var middle = keep.Slice(sinks, scored);
            TopKSelection.SelectInOrder(pooled, middle);
            for (int i = 0; i < scored; i++)
            {
                middle[i] += sinks;
            }
        }

        for (int i = 0; i < recent; i++)
        {
            keep[capacity - recent + i] = length - recent + i;
        }
    }

    /// <summary>
    /// The scores prefill ranks for <paramref name="spec"/>: the engine's window sums or column sums, −‖k‖ of each
    /// key, or the token index (recency). <paramref name="scratch"/> (length ≥ L) backs the computed kinds.
    /// </summary>
    /// <exception cref="ArgumentException">The engine did not provide what the source needs.</exception>
    public static ReadOnlySpan<float> PrefillScores(in SelectionSpec spec, in PrefillSelectionContext context, Span<float> scratch)
    {
        int n = context.Length;
        switch (spec.Source)
        {
            case ScoreSource.ObservationWindow:
                return Require(context.WindowScores, n, "window scores");
            case ScoreSource.AccumulatedAttention:
                return Require(context.ColumnSums, n, "column sums");
            case ScoreSource.KeyNorm:
                if (!context.HasKeys)
                {
                    throw new ArgumentException($"key-norm scores need the layer's keys in the prefill context (layer {context.Layer}, unit {context.Unit}).", nameof(context));
                }

                for (int t = 0; t < n; t++)
                {
                    scratch[t] = -TensorPrimitives.Norm(context.Key(t));
                }

                return scratch[..n];
            default:
                return Recency(scratch[..n]);
        }
    }

    /// <summary>
    /// Decode eviction of one full unit: candidates are the cached slots (position order) in [s, hi) with
    /// hi = max(s + 1, n − max(0, r − 1)) — the incoming token is the newest of the r recent ones; their scores are
    /// pooled over that range and the lowest is evicted. <paramref name="scratch"/> is grown as needed and reused.
    /// </summary>
    /// <returns>The slot to evict, in [0, n).</returns>
    public static int SelectDecodeEviction(in SelectionSpec spec, in DecodeSelectionContext context, ref float[] scratch)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        int n = context.Length;
        if (scratch.Length < (3 * n) + 1)
        {
            scratch = new float[(3 * n) + 1];
        }

        var (lo, hi) = DecodeCandidates(spec, context.Capacity, n);
        var scores = scratch.AsSpan(0, n);
        switch (spec.Source)
        {
            case ScoreSource.ObservationWindow when context.RecentQueryCount > 0:
                context.ComputeWindowScores(scores, scratch.AsSpan(n, n + 1));
                break;
            case ScoreSource.ObservationWindow:
                context.CurrentAttention[..n].CopyTo(scores);
                break;
            case ScoreSource.AccumulatedAttention:
                Require(context.AccumulatedScores, n, "accumulated scores").CopyTo(scores);
                break;
            case ScoreSource.KeyNorm:
                for (int j = 0; j < n; j++)
                {
                    scores[j] = -TensorPrimitives.Norm(context.Keys.Slice(j * context.HeadDim, context.HeadDim));
                }

                break;
            default:
                Recency(scores);
                break;
        }

        var pooled = scratch.AsSpan((2 * n) + 1, hi - lo);
        ScorePooling.Pool(scores[lo..hi], pooled, spec.Kernel, spec.Pool);
        return lo + TopKSelection.ArgMin(pooled);
    }

    /// <summary>
    /// The eviction candidates of a full unit of <paramref name="capacity"/> holding <paramref name="length"/> tokens:
    /// slots [lo, hi) in position order.
    /// </summary>
    public static (int Lo, int Hi) DecodeCandidates(in SelectionSpec spec, int capacity, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        int lo = Math.Min(spec.SinkTokens(capacity), length - 1);
        int hi = Math.Max(lo + 1, length - Math.Max(0, spec.RecentTokens(capacity) - 1));
        return (lo, hi);
    }

    private static Span<float> Recency(Span<float> scores)
    {
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = i;
        }

        return scores;
    }

    private static ReadOnlySpan<float> Require(ReadOnlySpan<float> values, int n, string what) =>
        values.Length >= n ? values[..n] : throw new ArgumentException($"the engine provided {values.Length} {what} for {n} tokens; the spec's Request asks for them.");
}
