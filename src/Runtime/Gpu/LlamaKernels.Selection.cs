using UNComp.Runtime.Cuda;

namespace UNComp.Runtime.Gpu;

/// <summary>Launch wrappers of the compression kernels (<c>Gpu/Kernels/compression.cu</c>).</summary>
public sealed partial class LlamaKernels
{
    /// <summary>
    /// Keys per decode re-scoring block (a multiple of <c>EV_LANES</c>, at most <c>EV_THREADS</c>; the block's queries are
    /// loaded once per chunk). 256 at every batch size: with the selection beside the step, fewer blocks take fewer
    /// multiprocessors from the step's products (H200, Llama-3-8B shapes, 32K, UNComp at 4.74 %: batch-1 decode
    /// 229.3 tok/s with 256-key blocks vs 224.7 with 64, docs/benchmarks/gpu/decode-80/run4).
    /// </summary>
    internal const int RescoreChunk = 256;

    /// <summary>Threads per decode re-scoring block (<c>EV_THREADS</c>: four per key).</summary>
    private const int RescoreThreads = 256;

    /// <summary>Largest number of (query, head) pairs one unit re-scores with (<c>EV_PMAX</c>).</summary>
    internal const int RescoreMaxPairs = 128;

    /// <summary>
    /// out[seg, j] = Σ over the heads of segment seg and query rows [row0, n) of the softmax probability on key j
    /// (per head rows ascending, then heads ascending): observation-window scores (row0 = n − w) or every row's
    /// column sums (row0 = 0). <paramref name="lse"/> is the flash kernel's [heads, n] normaliser.
    /// </summary>
    internal void ColumnSums(ulong q, ulong k, ulong lse, ulong output, int n, int row0, int heads, int kvHeads, int headsPerSegment, int segments, int headDim, float scale) =>
        Module.Launch($"attention_column_sums_d{headDim}", ((n + 127) / 128, segments, 1), 128, 0,
            q, k, lse, output, n, row0, heads, kvHeads, headsPerSegment, scale * (float)(1 / Math.Log(2)));

    /// <summary>out[u, j] = −‖k_j‖₂ for the KV head of each unit.</summary>
    internal void KeyNormScores(ulong k, ulong output, int n, int kvHeads, int unitsPerKvHead, int units, int headDim) =>
        Module.Launch("key_norm_scores", ((n + 127) / 128, units, 1), 128, 0, k, output, n, kvHeads, unitsPerKvHead, headDim);

    /// <summary>Per segment: pooling and top-k with reserved sinks and recent tokens; kept indices ascending.</summary>
    internal void SelectTopK(ulong scores, ulong plan, ulong keep, ulong keepLengths, ulong keys, int n, int segments, int keepStride, int pool, int kernel, bool recency) =>
        Module.Launch("select_topk", (segments, 1, 1), 1024, 0, scores, plan, keep, keepLengths, keys, n, keepStride, pool, kernel, recency ? 1 : 0);

    /// <summary>dst[t] = src[keep[t]] (fp32 rows of <paramref name="cols"/>), posDst[t] = posSrc[keep[t]], for <paramref name="rows"/> rows.</summary>
    internal void GatherRows(ulong src, ulong dst, ulong posSrc, ulong posDst, ulong keep, int rows, int cols) =>
        Module.Launch("gather_rows", (rows, 1, 1), 256, 0, src, dst, posSrc, posDst, keep, cols);

    /// <summary>Stores the last <paramref name="count"/> query rows of a prefill in the layer's recent-query ring.</summary>
    internal void QueriesPushPrefill(ulong q, ulong ring, ulong counts, int slot, int layer, int layers, int n, int window, int count, int qDim) =>
        Module.Launch("queries_push_prefill", (count, 1, 1), 256, 0, q, ring, counts, slot, layer, layers, n, window, qDim);

    /// <summary>Pushes each batch row's query into its slot's recent-query ring of <paramref name="layer"/>.</summary>
    internal void QueriesPushDecode(ulong q, ulong ring, ulong counts, ulong slots, int rows, int layer, int layers, int window, int qDim) =>
        Module.Launch("queries_push_decode", (rows, 1, 1), 256, 0, q, ring, counts, slots, layer, layers, window, qDim);

    /// <summary>Both passes of the decode re-scoring of one layer (mode 1: observation window of full units; 2: accumulated attention).</summary>
    internal void Rescore(in RescoreArgs a)
    {
        int shared = 4 * a.MaxPairs * a.Chunk;
        var grid = (a.Splits, a.UnitsPerLayer, a.Rows);
        Module.Launch($"rescore_stats_d{a.HeadDim}", grid, RescoreThreads, shared,
            a.Q, a.Ring, a.QueryCounts, a.NewK, a.ArenaK, a.UnitOffsets, a.Lengths, a.UnitCapacities, a.Slots, a.Partials,
            a.SlotElements, a.TotalUnits, a.LayerUnit0, a.Heads, a.KvHeads, a.HeadsPerUnit, a.UnitsPerKvHead, a.Layer, a.Layers,
            a.Window, a.Mode, a.MaxPairs, a.Chunk, a.Scale * (float)(1 / Math.Log(2)));
        Module.Launch($"rescore_probs_d{a.HeadDim}", grid, RescoreThreads, shared,
            a.Q, a.Ring, a.QueryCounts, a.NewK, a.ArenaK, a.UnitOffsets, a.Lengths, a.UnitCapacities, a.Slots, a.Partials,
            a.Scores, a.Accumulated, a.NewScores, a.SlotElements, a.SlotTokens, a.TotalUnits, a.LayerUnit0, a.Heads, a.KvHeads,
            a.HeadsPerUnit, a.UnitsPerKvHead, a.Layer, a.Layers, a.Window, a.Mode, a.ScoreStride, a.MaxPairs, a.Chunk,
            a.Scale * (float)(1 / Math.Log(2)));
    }

    /// <summary>Chooses, per (unit, row), the slot the step's token takes (evicting by score when the unit is full).</summary>
    internal void EvictSelect(in RescoreArgs a, ulong order, ulong decodePlan, ulong destinations, int source, int pool, int kernel, int maxCapacity) =>
        Module.Launch("evict_select", (a.UnitsPerLayer, a.Rows, 1), 1024, 4 * maxCapacity,
            a.Scores, a.Accumulated, a.ArenaK, order, a.Lengths, a.UnitOffsets, a.UnitCapacities, decodePlan, a.Slots, destinations,
            a.SlotElements, a.SlotTokens, a.TotalUnits, a.LayerUnit0, source, pool, kernel, a.ScoreStride, a.HeadDim);

    /// <summary>
    /// <see cref="EvictSelect"/> and <see cref="KvAppend"/> into the chosen slots in one launch (one block per (unit,
    /// row) does both); the same slots, positions and cache contents as the two launches.
    /// </summary>
    internal void EvictSelectAppend(in RescoreArgs a, ulong order, ulong decodePlan, ulong destinations, int source, int pool, int kernel, int maxCapacity,
        in KvWriteArgs w, DeviceTensor newK, DeviceTensor newV, ulong tokenPositions) =>
        Module.Launch("evict_select_append", (a.UnitsPerLayer, a.Rows, 1), 1024, 4 * maxCapacity,
            a.Scores, a.Accumulated, a.ArenaK, order, a.Lengths, a.UnitOffsets, a.UnitCapacities, decodePlan, a.Slots, destinations,
            a.SlotElements, a.SlotTokens, a.TotalUnits, a.LayerUnit0, source, pool, kernel, a.ScoreStride, a.HeadDim,
            newK, newV, w.ArenaV, w.Positions, tokenPositions, a.NewScores, w.KvHeads, w.UnitsPerKvHead);
}

/// <summary>Arguments of the decode re-scoring and eviction of one layer.</summary>
internal readonly record struct RescoreArgs
{
    public required ulong Q { get; init; }
    public required ulong Ring { get; init; }
    public required ulong QueryCounts { get; init; }
    public required ulong NewK { get; init; }
    public required ulong ArenaK { get; init; }
    public required ulong UnitOffsets { get; init; }
    public required ulong Lengths { get; init; }
    public required ulong UnitCapacities { get; init; }
    public required ulong Slots { get; init; }
    public required ulong Partials { get; init; }
    public required ulong Scores { get; init; }
    public required ulong Accumulated { get; init; }
    public required ulong NewScores { get; init; }
    public required long SlotElements { get; init; }
    public required long SlotTokens { get; init; }
    public required int TotalUnits { get; init; }
    public required int LayerUnit0 { get; init; }
    public required int UnitsPerLayer { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int HeadsPerUnit { get; init; }
    public required int UnitsPerKvHead { get; init; }
    public required int Layer { get; init; }
    public required int Layers { get; init; }
    public required int Window { get; init; }
    public required int Mode { get; init; }
    public required int MaxPairs { get; init; }
    public required int ScoreStride { get; init; }
    public required int Splits { get; init; }
    public required int Chunk { get; init; }
    public required int Rows { get; init; }
    public required int HeadDim { get; init; }
    public required float Scale { get; init; }
}
