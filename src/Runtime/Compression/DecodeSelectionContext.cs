using System.Numerics.Tensors;

namespace UNComp.Runtime.Compression;

/// <summary>
/// What a policy sees when a new decode token must enter a full cache unit. The current token's query has already
/// attended over the cached tokens plus itself; the policy names one cached slot to evict.
/// </summary>
public readonly ref struct DecodeSelectionContext
{
    /// <summary>Creates a context (the engine does this; tests may too).</summary>
    public DecodeSelectionContext(int layer, int unit, int capacity, int headDim, int queryHeadsPerUnit, int recentQueryCount,
        ReadOnlySpan<int> positions, ReadOnlySpan<float> keys, ReadOnlySpan<float> newKey, int newPosition,
        ReadOnlySpan<float> recentQueries, ReadOnlySpan<float> currentAttention, ReadOnlySpan<float> accumulatedScores)
    {
        Layer = layer;
        Unit = unit;
        Capacity = capacity;
        HeadDim = headDim;
        QueryHeadsPerUnit = queryHeadsPerUnit;
        RecentQueryCount = recentQueryCount;
        Positions = positions;
        Keys = keys;
        NewKey = newKey;
        NewPosition = newPosition;
        RecentQueries = recentQueries;
        CurrentAttention = currentAttention;
        AccumulatedScores = accumulatedScores;
    }

    /// <summary>Decoder layer.</summary>
    public int Layer { get; }

    /// <summary>Cache unit within the layer.</summary>
    public int Unit { get; }

    /// <summary>Cached tokens (the unit is full).</summary>
    public int Length => Positions.Length;

    /// <summary>Capacity of the unit.</summary>
    public int Capacity { get; }

    /// <summary>Elements per key.</summary>
    public int HeadDim { get; }

    /// <summary>Query heads reading this unit.</summary>
    public int QueryHeadsPerUnit { get; }

    /// <summary>Recent queries available per query head (≤ the policy's window; the last is the current token's).</summary>
    public int RecentQueryCount { get; }

    /// <summary>Absolute positions of the cached tokens.</summary>
    public ReadOnlySpan<int> Positions { get; }

    /// <summary>Cached post-RoPE keys, Length × HeadDim.</summary>
    public ReadOnlySpan<float> Keys { get; }

    /// <summary>The incoming token's post-RoPE key.</summary>
    public ReadOnlySpan<float> NewKey { get; }

    /// <summary>The incoming token's absolute position.</summary>
    public int NewPosition { get; }

    /// <summary>
    /// Recent post-RoPE queries of the unit's query heads: [QueryHeadsPerUnit × RecentQueryCount × HeadDim],
    /// oldest first within each head.
    /// </summary>
    public ReadOnlySpan<float> RecentQueries { get; }

    /// <summary>
    /// The current query's attention probabilities over the cached slots (index Length = the new token), summed over
    /// the unit's query heads; length Length + 1.
    /// </summary>
    public ReadOnlySpan<float> CurrentAttention { get; }

    /// <summary>Accumulated scores per cached slot (already including this step), or empty when not tracked.</summary>
    public ReadOnlySpan<float> AccumulatedScores { get; }

    /// <summary>
    /// Computes window scores for the cached slots as prefill defines them: for each recent query (and query head
    /// of the unit), softmax over the cached keys plus the new key with scale 1/√HeadDim, summed over queries and
    /// heads, restricted to the cached slots. <paramref name="scores"/> has length Length;
    /// <paramref name="scratch"/> at least Length + 1.
    /// </summary>
    public void ComputeWindowScores(Span<float> scores, Span<float> scratch)
    {
        int n = Length;
        int d = HeadDim;
        float scale = 1f / MathF.Sqrt(d);
        scores.Slice(0, n).Clear();
        var row = scratch.Slice(0, n + 1);
        for (int h = 0; h < QueryHeadsPerUnit; h++)
        {
            for (int r = 0; r < RecentQueryCount; r++)
            {
                var q = RecentQueries.Slice(((h * RecentQueryCount) + r) * d, d);
                for (int j = 0; j < n; j++)
                {
                    row[j] = TensorPrimitives.Dot(q, Keys.Slice(j * d, d)) * scale;
                }

                row[n] = TensorPrimitives.Dot(q, NewKey) * scale;
                TensorPrimitives.SoftMax(row, row);
                TensorPrimitives.Add(scores.Slice(0, n), row.Slice(0, n), scores.Slice(0, n));
            }
        }
    }
}
