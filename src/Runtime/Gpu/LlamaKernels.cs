using UNComp.Runtime.Cuda;

namespace UNComp.Runtime.Gpu;

/// <summary>
/// The engine's CUDA kernels (embedded <c>Gpu/Kernels/*.cu</c>, compiled once per device through
/// <see cref="KernelCompiler"/>'s disk cache) with typed launch wrappers. Every launch is queued on the device's
/// stream, so a sequence of them can be captured into a <see cref="CudaGraph"/>.
/// </summary>
public sealed partial class LlamaKernels : IDisposable
{
    /// <summary>Matrix rows one GEMV block covers without a k split (<c>GEMV_WARPS</c> 8 × <c>GEMV_ROWS</c> 2).</summary>
    private const int GemvRowsPerBlock = 16;

    /// <summary>Threads of a GEMV block (<c>GEMV_WARPS</c> · 32).</summary>
    private const int GemvThreads = 256;
    private const int DecodeThreads = 128;
    private const int CombineThreads = 256;

    /// <summary>Heads one qkv_rope rotation item turns with one sincos (ROPE_HEADS in elementwise.cu).</summary>
    private const int RopeHeadsPerItem = 8;
    private const int DecodeMaxGroup = 8;

    private static readonly string[] SourceFiles = ["common.cuh", "elementwise.cu", "prefill_attention.cu", "prefill_attention_wgmma.cu", "decode_attention.cu", "kv_cache.cu", "compression.cu", "calibration.cu", "forward_f32.cu", "sampling.cu"];

    private readonly CudaDevice _device;

    /// <summary>Compiles (or loads from the cache) and loads the kernels for <paramref name="device"/>.</summary>
    /// <param name="device">The device.</param>
    /// <param name="defines">Extra NVRTC <c>-D</c> definitions (a compiled profile's constants).</param>
    public LlamaKernels(CudaDevice device, IReadOnlyList<string>? defines = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        defines ??= [];
        HeadDim = Defined(defines, "UNCOMP_HEAD_DIM");
        QueryHeadsPerUnit = Defined(defines, "UNCOMP_QUERY_HEADS_PER_UNIT");
        Module = CudaModule.Compile(device, "uncomp_llama.cu", Source, defines);
        foreach (int d in (int[])[32, 64, 128])
        {
            if (HeadDim is { } only && only != d)
            {
                continue;
            }

            Module.SetMaxDynamicSharedMemory($"flash_prefill_d{d}", FlashSharedBytes(d));
            Module.SetMaxDynamicSharedMemory($"rescore_stats_d{d}", device.MaxSharedMemoryPerBlock);
            Module.SetMaxDynamicSharedMemory($"rescore_probs_d{d}", device.MaxSharedMemoryPerBlock);
            foreach (int g in (int[])[1, 2, 4, 8])
            {
                if (QueryHeadsPerUnit is null || GroupBound(QueryHeadsPerUnit.Value) == g)
                {
                    Module.SetMaxDynamicSharedMemory($"decode_attention_partial_d{d}_g{g}", device.MaxSharedMemoryPerBlock);
                    Module.SetMaxDynamicSharedMemory($"decode_attention_mma_d{d}_g{g}", device.MaxSharedMemoryPerBlock);
                }
            }
        }

        HasWgmmaPrefill = device.HasWarpgroupMma && HeadDim is null or 128;
        if (HasWgmmaPrefill)
        {
            Module.SetMaxDynamicSharedMemory("flash_prefill_wgmma_d128", WgmmaPrefillSharedBytes);
        }

        Module.SetMaxDynamicSharedMemory("gemv_bf16", device.MaxSharedMemoryPerBlock);
        Module.SetMaxDynamicSharedMemory("evict_select", device.MaxSharedMemoryPerBlock);
        Module.SetMaxDynamicSharedMemory("decode_attention_combine", device.MaxSharedMemoryPerBlock);
        Module.SetMaxDynamicSharedMemory("decode_combine_append", device.MaxSharedMemoryPerBlock);
    }

    /// <summary>The only head dimension the module was built for (a compiled profile's <c>UNCOMP_HEAD_DIM</c>), or null for all.</summary>
    public int? HeadDim { get; }

    /// <summary>The query heads per unit the module's decode kernel was built for (<c>UNCOMP_QUERY_HEADS_PER_UNIT</c>), or null for all.</summary>
    public int? QueryHeadsPerUnit { get; }

    /// <summary>Throws when this module was specialised for another shape than <paramref name="headDim"/> / <paramref name="queryHeadsPerUnit"/>.</summary>
    /// <exception cref="ArgumentException">The module lacks the kernels for that shape.</exception>
    public void CheckShape(int headDim, int queryHeadsPerUnit)
    {
        if ((HeadDim is { } d && d != headDim) || (QueryHeadsPerUnit is { } g && GroupBound(g) != GroupBound(queryHeadsPerUnit)))
        {
            throw new ArgumentException($"the kernels were compiled for head dim {HeadDim} and {QueryHeadsPerUnit} query heads per unit (the compiled profile's KernelDefines), but the model and layout have {headDim} and {queryHeadsPerUnit}; load the profile's own model, or pass no KernelDefines.");
        }
    }

    private static int? Defined(IReadOnlyList<string> defines, string name)
    {
        foreach (string d in defines)
        {
            if (d.StartsWith(name + "=", StringComparison.Ordinal) && int.TryParse(d.AsSpan(name.Length + 1), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>The concatenated CUDA source.</summary>
    public static string Source { get; } = string.Join("\n", SourceFiles.Select(ReadResource));

    /// <summary>The loaded module.</summary>
    public CudaModule Module { get; }

    /// <summary>Head dimensions the attention kernels are built for.</summary>
    public static bool SupportsHeadDim(int headDim) => headDim is 32 or 64 or 128;

    /// <summary>Largest number of query heads per cache unit the decode kernel handles.</summary>
    public static int MaxQueryHeadsPerUnit => DecodeMaxGroup;

    /// <summary>x[t] = embedding[tokens[t]] (fp32) for <paramref name="rows"/> tokens.</summary>
    public void Embed(ulong tokens, DeviceTensor table, DeviceTensor x, int rows) =>
        Module.Launch("embed_rows", (rows, 1, 1), 256, 0, tokens, table, x, x.Cols);

    /// <summary>out = bf16(RMSNorm(x) ⊙ w) for <paramref name="rows"/> rows.</summary>
    public void RmsNorm(DeviceTensor x, DeviceTensor weight, DeviceTensor output, int rows, float eps) =>
        Module.Launch("rmsnorm_rows", (rows, 1, 1), x.Cols % 4 == 0 || x.Cols < 2048 ? 256 : 1024, 0, x, weight, output, x.Cols, eps);

    /// <summary>Splits the fused q|k|v projection, adds the bias (if any) and applies RoPE at <paramref name="positions"/>.</summary>
    public void QkvRope(DeviceTensor qkv, ulong bias, ulong positions, DeviceTensor invFreq, DeviceTensor q, DeviceTensor k, DeviceTensor v,
        int rows, int heads, int kvHeads, int headDim)
    {
        int items = ((heads + kvHeads + RopeHeadsPerItem - 1) / RopeHeadsPerItem * (headDim / 2)) + (kvHeads * headDim);
        Module.Launch("qkv_rope", ((items + 255) / 256, rows, 1), 256, 0, qkv, bias, positions, invFreq, q, k, v, heads, kvHeads, headDim);
    }

    /// <summary>h = silu(gate) ⊙ up from the fused [gate | up] rows.</summary>
    public void SwiGlu(DeviceTensor gateUp, DeviceTensor h, int rows) =>
        Module.Launch("swiglu_rows", (((h.Cols % 8 == 0 ? h.Cols / 8 : h.Cols) + 255) / 256, rows, 1), 256, 0, gateUp, h, h.Cols);

    /// <summary>y[r] += bias for <paramref name="rows"/> rows.</summary>
    public void AddBias(DeviceTensor y, DeviceTensor bias, int rows) =>
        Module.Launch("add_bias_rows", (rows, 1, 1), 256, 0, y, bias, y.Cols);

    /// <summary>
    /// Causal GQA attention over <paramref name="n"/> tokens: q, o [n, heads, d]; k, v [n, kvHeads, d]. 32 query rows
    /// per warp (each K/V fragment feeds two tensor-core products), Q staged in shared memory: FlashAttention-2's tiling.
    /// When <c>lse</c> is not 0 it receives each row's log2 softmax normaliser [heads, n] (fp32) in units of the scaled
    /// logits, so p = 2^(q·k·scale·log2(e) − lse) (the compression kernels' column sums use it).
    /// </summary>
    public void FlashPrefill(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor o, int n, int heads, int kvHeads, int headDim, float scale, ulong lse = 0)
    {
        int blocks = (n + 127) / 128;
        Module.Launch($"flash_prefill_d{headDim}", (blocks, heads, 1), 128, FlashSharedBytes(headDim),
            q, k, v, o, lse, n, heads, kvHeads, scale * (float)(1 / Math.Log(2)));
    }

    /// <summary>
    /// Causal flash attention on Hopper's warpgroup tensor cores (head dim 128, <see cref="HasWgmmaPrefill"/>): first
    /// <c>transpose_v_d128</c> writes Vᵀ into <paramref name="vt"/> ([kv heads × 128, padded keys], padding zeroed),
    /// then <c>flash_prefill_wgmma_d128</c> reads Q, K and Vᵀ; o and lse as <see cref="FlashPrefill"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="vt"/> is not [kvHeads · 128, ≥ WgmmaPaddedKeys(n)] bf16.</exception>
    /// <exception cref="NotSupportedException">The kernels have no wgmma prefill (not compute capability 9.0, or another head dim).</exception>
    public void FlashPrefillWgmma(DeviceTensor q, DeviceTensor k, DeviceTensor v, DeviceTensor vt, DeviceTensor o, int n, int heads, int kvHeads, float scale, ulong lse = 0)
    {
        if (!HasWgmmaPrefill)
        {
            throw new NotSupportedException("the wgmma prefill kernel needs compute capability 9.0 and head dim 128.");
        }

        int padded = vt.Cols;
        if (vt.Type != DType.BF16 || vt.Rows != kvHeads * 128 || padded < WgmmaPaddedKeys(n) || padded % WgmmaKeyPadding != 0)
        {
            throw new ArgumentException($"Vᵀ must be bf16 [{kvHeads * 128}, a multiple of {WgmmaKeyPadding} ≥ {WgmmaPaddedKeys(n)}]; got {vt.Type} [{vt.Rows}, {vt.Cols}].", nameof(vt));
        }

        // Only the first WgmmaPaddedKeys(n) columns are written and read: the row stride is the buffer's width.
        Module.Launch("transpose_v_d128", (WgmmaPaddedKeys(n) / 64, 2, kvHeads), 256, 0, v, vt, n, padded, kvHeads);
        Module.Launch("flash_prefill_wgmma_d128", ((n + WgmmaBlockRows - 1) / WgmmaBlockRows, heads, 1), 2 * WgmmaBlockRows, WgmmaPrefillSharedBytes,
            q, k, vt, o, lse, n, padded, heads, kvHeads, scale * (float)(1 / Math.Log(2)));
    }

    /// <summary>Whether <see cref="FlashPrefillWgmma"/> is available (compute capability 9.0 and head dim 128 compiled in).</summary>
    public bool HasWgmmaPrefill { get; }

    /// <summary>Keys of Vᵀ the wgmma prefill reads for an n-token prompt: n rounded up to <see cref="WgmmaKeyPadding"/>.</summary>
    public static int WgmmaPaddedKeys(int n) => (n + WgmmaKeyPadding - 1) / WgmmaKeyPadding * WgmmaKeyPadding;

    /// <summary>Vᵀ's key padding (a multiple of every key tile the kernel may be built with).</summary>
    public const int WgmmaKeyPadding = 128;

    /// <summary>Query rows of one wgmma prefill block (FW3_WG = 2 warpgroups × 64).</summary>
    private const int WgmmaBlockRows = 128;

    /// <summary>Keys per tile of the wgmma prefill (FW3_BN).</summary>
    private const int WgmmaKeyTile = 128;

    /// <summary>Dynamic shared memory of one wgmma prefill block (FW3_SMEM: Q, two stages of K and Vᵀ tiles, 1 KB alignment).</summary>
    private const int WgmmaPrefillSharedBytes = (WgmmaBlockRows * 256) + (2 * ((WgmmaKeyTile * 256) + (128 * WgmmaKeyTile * 2))) + 1024;

    /// <summary>Dynamic shared memory of one flash prefill block: the Q tile and two stages of K and V tiles.</summary>
    public static int FlashSharedBytes(int headDim) => (128 + (2 * 2 * 64)) * (headDim + 8) * 2;

    /// <summary>Split-KV decode attention partials for every unit of one layer and every batch row, on <see cref="DecodeAttentionArgs.Kernel"/>.</summary>
    internal void DecodePartial(in DecodeAttentionArgs a)
    {
        if (a.Qkv != 0 && a.Kernel != DecodeAttentionKernel.TensorCores)
        {
            throw new ArgumentException("fused RoPE runs in the tensor-core decode kernel only.", nameof(a));
        }

        Module.Launch($"decode_attention_{(a.Kernel == DecodeAttentionKernel.TensorCores ? "mma" : "partial")}_d{a.HeadDim}_g{GroupBound(a.QueryHeadsPerUnit)}", (a.Splits, a.UnitsPerLayer, a.Rows), DecodeThreads, DecodeSharedBytes(a.HeadDim, a.QueryHeadsPerUnit),
            a.Q, a.NewK, a.NewV, a.ArenaK, a.ArenaV, a.UnitOffsets, a.Lengths, a.Slots, a.PartialO, a.PartialMl,
            a.SlotElements, a.TotalUnits, a.LayerUnit0, a.Heads, a.KvHeads, a.QueryHeadsPerUnit, a.UnitsPerKvHead, a.Chunk,
            a.Scale * (float)(1 / Math.Log(2)), a.Qkv, a.Bias, a.Positions, a.InverseFrequencies, a.QOut, a.KOut, a.VOut);
    }

    /// <summary>Merges the split partials into bf16 attention outputs [rows, heads, d].</summary>
    internal void DecodeCombine(ulong partialO, ulong partialMl, DeviceTensor output, int rows, int heads, int splits, int headDim) =>
        Module.Launch("decode_attention_combine", (heads, rows, 1), CombineThreads, (splits + (CombineThreads * 4)) * 4, partialO, partialMl, output, heads, splits, headDim);

    /// <summary>
    /// The split-KV combine of every head and the recency KV append of every unit of one layer in one launch (decode
    /// without a selection): grid (heads + units, rows), the combine's block and shared memory.
    /// </summary>
    internal void DecodeCombineAppend(ulong partialO, ulong partialMl, DeviceTensor output, int rows, int heads, int splits, in KvWriteArgs a, DeviceTensor newK, DeviceTensor newV, ulong slots, ulong tokenPositions) =>
        Module.Launch("decode_combine_append", (heads + a.UnitsPerLayer, rows, 1), CombineThreads, (splits + (CombineThreads * 4)) * 4,
            partialO, partialMl, output, heads, splits, newK, newV, a.ArenaK, a.ArenaV, a.Positions, a.Lengths, a.UnitOffsets,
            a.UnitCapacities, slots, tokenPositions, a.SlotElements, a.SlotTokens, a.TotalUnits, a.LayerUnit0, a.KvHeads,
            a.UnitsPerKvHead, a.HeadDim);

    /// <summary>
    /// y = W · x (+ y) for a single token: a bandwidth-bound matrix-vector product (batch-1 decode), fp32 or bf16 y.
    /// <paramref name="splitK"/> warps (1, 2 or 4) share each group of rows, each reading a contiguous part of k: more
    /// warps and shorter load chains for matrices with few rows.
    /// </summary>
    /// <param name="w">bf16 weights [m, k], k a multiple of 8.</param>
    /// <param name="x">bf16 input [1, k].</param>
    /// <param name="y">fp32 or bf16 output [1, m].</param>
    /// <param name="accumulate">Add the product to y instead of overwriting it.</param>
    /// <param name="splitK">Warps per row group (1, 2 or 4).</param>
    /// <param name="prefetch">Issue each lane's first weight loads before waiting for the predecessor kernel (programmatic
    /// dependent launch) and before staging x; the same arithmetic, so the same result.</param>
    /// <exception cref="ArgumentException">The shapes or types do not fit, or <paramref name="splitK"/> is not 1, 2 or 4.</exception>
    public void Gemv(DeviceTensor w, DeviceTensor x, DeviceTensor y, bool accumulate, int splitK = 1, bool prefetch = false)
    {
        if (w.Type != DType.BF16 || x.Type != DType.BF16 || x.Rows != 1 || y.Rows != 1 || x.Cols != w.Cols || y.Cols != w.Rows || w.Cols % 8 != 0)
        {
            throw new ArgumentException($"Gemv takes bf16 w [m, k] (k a multiple of 8), bf16 x [1, k] and y [1, m]; got w [{w.Rows}, {w.Cols}], x [{x.Rows}, {x.Cols}], y [{y.Rows}, {y.Cols}].");
        }

        Module.Launch("gemv_bf16", GemvGrid(w.Rows, splitK), GemvThreads, w.Cols * 2,
            w, x, y, w.Rows, w.Cols, accumulate ? 1 : 0, y.Type == DType.BF16 ? 1 : 0, splitK, 0UL, 0UL, 0f, prefetch ? 1 : 0, 0);
    }

    /// <summary>
    /// h = SwiGLU(W · x) for a single token with the activation fused into the product: W is the fused [gate | up]
    /// projection [2·ff, k], h the bf16 activation [1, ff], h[j] = bf16(silu(g[j]) · u[j]) from the bf16-rounded
    /// products, bitwise what <see cref="Gemv"/> into a bf16 [1, 2·ff] followed by <see cref="SwiGlu"/> gives.
    /// </summary>
    /// <param name="w">bf16 [gate | up] weights [2·ff, k], ff even, k a multiple of 8.</param>
    /// <param name="x">bf16 input [1, k].</param>
    /// <param name="h">bf16 activation [1, ff].</param>
    /// <param name="splitK">Warps per row group (1, 2 or 4).</param>
    /// <param name="prefetch">As for <see cref="Gemv"/>.</param>
    /// <exception cref="ArgumentException">The shapes or types do not fit, or <paramref name="splitK"/> is not 1, 2 or 4.</exception>
    public void GemvSwiGlu(DeviceTensor w, DeviceTensor x, DeviceTensor h, int splitK = 1, bool prefetch = false)
    {
        if (w.Type != DType.BF16 || x.Type != DType.BF16 || h.Type != DType.BF16 || x.Rows != 1 || h.Rows != 1 || x.Cols != w.Cols
            || w.Rows != 2 * h.Cols || h.Cols % 2 != 0 || w.Cols % 8 != 0)
        {
            throw new ArgumentException($"GemvSwiGlu takes bf16 w [2·ff, k] (ff even, k a multiple of 8), bf16 x [1, k] and h [1, ff]; got w [{w.Rows}, {w.Cols}], x [{x.Rows}, {x.Cols}] {x.Type}, h [{h.Rows}, {h.Cols}] {h.Type}.");
        }

        Module.Launch("gemv_bf16", GemvGrid(w.Rows, splitK), GemvThreads, w.Cols * 2,
            w, x, h, w.Rows, w.Cols, 0, 1, splitK, 0UL, 0UL, 0f, prefetch ? 1 : 0, h.Cols);
    }

    /// <summary>
    /// y = W · RMSNorm(x) for a single token with the norm fused into the product (no separate <see cref="RmsNorm"/>
    /// launch): x is the fp32 residual row [1, k], <paramref name="normWeight"/> the fp32 norm weights [1, k].
    /// </summary>
    /// <param name="w">bf16 weights [m, k], k a multiple of 8.</param>
    /// <param name="x">fp32 residual row [1, k].</param>
    /// <param name="normWeight">fp32 norm weights [1, k].</param>
    /// <param name="eps">The norm's epsilon.</param>
    /// <param name="y">fp32 or bf16 output [1, m].</param>
    /// <param name="splitK">Warps per row group (1, 2 or 4).</param>
    /// <param name="prefetch">As for <see cref="Gemv"/>.</param>
    /// <exception cref="ArgumentException">The shapes or types do not fit, or <paramref name="splitK"/> is not 1, 2 or 4.</exception>
    public void GemvNormed(DeviceTensor w, DeviceTensor x, DeviceTensor normWeight, float eps, DeviceTensor y, int splitK = 1, bool prefetch = false)
    {
        if (w.Type != DType.BF16 || x.Type != DType.F32 || normWeight.Type != DType.F32 || x.Rows != 1 || y.Rows != 1
            || x.Cols != w.Cols || normWeight.Cols != w.Cols || y.Cols != w.Rows || w.Cols % 8 != 0)
        {
            throw new ArgumentException($"GemvNormed takes bf16 w [m, k] (k a multiple of 8), fp32 x and norm weights [1, k] and y [1, m]; got w [{w.Rows}, {w.Cols}], x [{x.Rows}, {x.Cols}] {x.Type}, norm [{normWeight.Cols}] {normWeight.Type}, y [{y.Rows}, {y.Cols}].");
        }

        if (w.Cols > GemvNormedMaxK)
        {
            throw new ArgumentException($"GemvNormed stages x and the norm weights in shared memory: k = {w.Cols} needs {GemvNormedSharedBytes(w.Cols)} bytes, the device gives a block {_device.MaxSharedMemoryPerBlock}; use RmsNorm and Gemv.");
        }

        Module.Launch("gemv_bf16", GemvGrid(w.Rows, splitK), GemvThreads, GemvNormedSharedBytes(w.Cols),
            w, 0UL, y, w.Rows, w.Cols, 0, y.Type == DType.BF16 ? 1 : 0, splitK, x, normWeight, eps, prefetch ? 1 : 0, 0);
    }

    /// <summary>
    /// h = SwiGLU(W · RMSNorm(x)) for a single token: <see cref="GemvNormed"/>'s staging and <see cref="GemvSwiGlu"/>'s
    /// epilogue in one launch, bitwise <see cref="RmsNorm"/> followed by <see cref="GemvSwiGlu"/>.
    /// </summary>
    /// <param name="w">bf16 [gate | up] weights [2·ff, k], ff even, k a multiple of 8.</param>
    /// <param name="x">fp32 residual row [1, k].</param>
    /// <param name="normWeight">fp32 norm weights [1, k].</param>
    /// <param name="eps">The norm's epsilon.</param>
    /// <param name="h">bf16 activation [1, ff].</param>
    /// <param name="splitK">Warps per row group (1, 2 or 4).</param>
    /// <param name="prefetch">As for <see cref="Gemv"/>.</param>
    /// <exception cref="ArgumentException">The shapes or types do not fit, or <paramref name="splitK"/> is not 1, 2 or 4.</exception>
    public void GemvNormedSwiGlu(DeviceTensor w, DeviceTensor x, DeviceTensor normWeight, float eps, DeviceTensor h, int splitK = 1, bool prefetch = false)
    {
        if (w.Type != DType.BF16 || x.Type != DType.F32 || normWeight.Type != DType.F32 || h.Type != DType.BF16 || x.Rows != 1 || h.Rows != 1
            || x.Cols != w.Cols || normWeight.Cols != w.Cols || w.Rows != 2 * h.Cols || h.Cols % 2 != 0 || w.Cols % 8 != 0)
        {
            throw new ArgumentException($"GemvNormedSwiGlu takes bf16 w [2·ff, k] (ff even, k a multiple of 8), fp32 x and norm weights [1, k] and bf16 h [1, ff]; got w [{w.Rows}, {w.Cols}], x [{x.Rows}, {x.Cols}] {x.Type}, norm [{normWeight.Cols}] {normWeight.Type}, h [{h.Rows}, {h.Cols}] {h.Type}.");
        }

        if (w.Cols > GemvNormedMaxK)
        {
            throw new ArgumentException($"GemvNormedSwiGlu stages x and the norm weights in shared memory: k = {w.Cols} needs {GemvNormedSharedBytes(w.Cols)} bytes, the device gives a block {_device.MaxSharedMemoryPerBlock}; use RmsNorm and GemvSwiGlu.");
        }

        Module.Launch("gemv_bf16", GemvGrid(w.Rows, splitK), GemvThreads, GemvNormedSharedBytes(w.Cols),
            w, 0UL, h, w.Rows, w.Cols, 0, 1, splitK, x, normWeight, eps, prefetch ? 1 : 0, h.Cols);
    }

    /// <summary>Blocks of the GEMV for <paramref name="rows"/> matrix rows with the k split over <paramref name="splitK"/> warps.</summary>
    private static (int, int, int) GemvGrid(int rows, int splitK)
    {
        if (splitK is not (1 or 2 or 4))
        {
            throw new ArgumentException($"Gemv splits k over 1, 2 or 4 warps; got {splitK}.", nameof(splitK));
        }

        int rowsPerBlock = GemvRowsPerBlock / splitK;
        return ((rows + rowsPerBlock - 1) / rowsPerBlock, 1, 1);
    }

    /// <summary>Dynamic shared memory of one decode-attention block.</summary>
    public static int DecodeSharedBytes(int headDim, int queryHeadsPerUnit) =>
        4 * (DecodeThreads / 32 * GroupBound(queryHeadsPerUnit) * (headDim + 2));

    /// <summary>The decode kernel instantiation for a group: the next power of two ≥ the query heads per unit.</summary>
    private static int GroupBound(int queryHeadsPerUnit) => queryHeadsPerUnit <= 1 ? 1 : queryHeadsPerUnit <= 2 ? 2 : queryHeadsPerUnit <= 4 ? 4 : 8;


    /// <summary>Largest k the single-token <see cref="Gemv"/> takes (x is staged in shared memory).</summary>
    public int GemvMaxK => (_device.MaxSharedMemoryPerBlock - 1024) / 2;

    /// <summary>Largest k <see cref="GemvNormed"/> and <see cref="GemvNormedSwiGlu"/> take (bf16 x and the fp32 norm weights in shared memory).</summary>
    public int GemvNormedMaxK => _device.MaxSharedMemoryPerBlock / GemvNormedSharedBytes(1);

    /// <summary>Dynamic shared memory of a GEMV block with the norm fused: bf16 x, then the fp32 norm weights.</summary>
    private static int GemvNormedSharedBytes(int k) => k * (2 + 4);

    /// <summary>Writes one layer's kept prefill tokens of one slot into the arena.</summary>
    internal void KvPrefillWrite(in KvWriteArgs a, DeviceTensor k, DeviceTensor v, ulong tokenPositions, int slot, int n, in KvSelectedRows selected = default)
    {
        int rowBlocks = Math.Clamp((n + 3) / 4, 1, 256);
        Module.Launch("kv_prefill_write", (a.UnitsPerLayer, rowBlocks, 1), 128, 0,
            k, v, tokenPositions, a.ArenaK, a.ArenaV, a.Positions, a.Lengths, a.UnitOffsets, a.UnitCapacities, selected.Keep, selected.KeepStride,
            selected.KeepLengths, selected.Order, selected.ColumnScores, selected.Accumulated,
            slot, n, a.SlotElements, a.SlotTokens, a.TotalUnits, a.LayerUnit0, a.KvHeads, a.UnitsPerKvHead, a.HeadDim);
    }

    /// <summary>Appends the step's new key/value of one layer for every batch row (recency eviction when full).</summary>
    /// <remarks>
    /// <c>destinations</c> (when not 0): the slot each (row, unit) writes [rows, units], chosen by <c>evict_select</c>;
    /// <c>accumulated</c> (when not 0, H2O): per cached row scores, the new row getting <c>newScores</c>[row, unit].
    /// </remarks>
    internal void KvAppend(in KvWriteArgs a, DeviceTensor newK, DeviceTensor newV, ulong slots, ulong tokenPositions, int rows,
        ulong destinations = 0, ulong accumulated = 0, ulong newScores = 0) =>
        Module.Launch("kv_append", (a.UnitsPerLayer, rows, 1), 128, 0,
            newK, newV, a.ArenaK, a.ArenaV, a.Positions, a.Lengths, a.UnitOffsets, a.UnitCapacities, slots, tokenPositions,
            destinations, accumulated, newScores, a.SlotElements, a.SlotTokens, a.TotalUnits, a.LayerUnit0, a.KvHeads, a.UnitsPerKvHead, a.HeadDim);

    /// <summary>tokens[r] = argmax of logits row r (−1 for a non-finite row).</summary>
    public void ArgMax(DeviceTensor logits, ulong tokens, int rows) =>
        Module.Launch("argmax_rows", (rows, 1, 1), 1024, 0, logits, logits.Cols, tokens);

    /// <summary>Temperature / top-k / top-p sampling of each logits row with a per-row seed (−1 for a non-finite row).</summary>
    public void Sample(DeviceTensor logits, ulong tokens, int rows, float temperature, int topK, float topP, ulong seeds) =>
        Module.Launch("sample_rows", (rows, 1, 1), 1024, 0, logits, logits.Cols, 1f / temperature, topK, topP, seeds, tokens);

    private static string ReadResource(string file)
    {
        using var stream = typeof(LlamaKernels).Assembly.GetManifestResourceStream("UNComp.Kernels." + file)
            ?? throw new InvalidOperationException($"kernel source '{file}' is not embedded in UNComp.Runtime; the build is incomplete.");
        using var reader = new StreamReader(stream);
        return $"// ---- {file}\n" + reader.ReadToEnd();
    }

    /// <inheritdoc />
    public void Dispose() => Module.Dispose();
}
