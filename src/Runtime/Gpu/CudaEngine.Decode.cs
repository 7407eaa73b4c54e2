using System.Runtime.InteropServices;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Cuda;
using UNComp.Runtime.Generation;

namespace UNComp.Runtime.Gpu;

/// <summary>Decode: one token for each active slot of a batch, every layer, one graph launch.</summary>
public sealed partial class CudaEngine
{
    private readonly DecodeGeometry[] _geometry;
    private readonly Dictionary<int, CudaGraph> _graphs = [];
    private readonly HashSet<int> _warm = [];
    private readonly StreamProfiler _profiler;
    private bool _profiling;
    private bool _useGemv;
    private int _decodeMinChunk;
    private DecodeAttentionKernel _decodeKernel;
    private bool _fuseCombineAppend = true;
    private bool _fuseEvictAppend = true;
    private bool _overlapSelection;
    private bool _fuseRopeAttention;
    private bool _fuseSwiGlu = true;
    private int _gemvSplitK = 1;
    private int _gemvMaxK;
    private bool _gemvFusedNorm;
    private bool _gemvPrefetch;

    /// <summary>
    /// Whether batch-1 decode steps use the GEMV kernel instead of cuBLASLt (starts as <see cref="CudaEngineOptions.UseGemv"/>;
    /// changing it drops the captured graphs).
    /// </summary>
    public bool UseGemv
    {
        get => _useGemv;
        set
        {
            Retune(ref _useGemv, value);
        }
    }

    /// <summary>
    /// Smallest decode-attention chunk in tokens (0: automatic, <see cref="DecodeGeometry"/>): larger values give fewer,
    /// longer attention blocks per unit — a tuning knob that <c>uncomp bench --decode-chunks</c> measures. Changing it
    /// drops the captured graphs.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int DecodeMinChunk
    {
        get => _decodeMinChunk;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            if (Retune(ref _decodeMinChunk, value))
            {
                FillGeometry(_arena.Layout, _decodeMinChunk);
            }
        }
    }

    /// <summary>
    /// Warps per row group of the batch-1 GEMV (1, 2 or 4) for matrices of at most <see cref="GemvSplitKMaxRows"/> rows
    /// (q|k|v and o of an 8B model; gate|up and lm_head already keep the GPU busy). Starts at 1: with blocks of 8 warps ×
    /// 2 rows (since 2026-11-28) the unsplit q|k|v and o grids (384 and 256 blocks) are resident at once, so under
    /// programmatic dependent launch every block issues its first weight loads early (H200, Llama-3-8B shapes, 32K,
    /// UNComp 4.74 %: 226.5 tok/s vs 219.6 with 2 in the same run, docs/benchmarks/gpu/decode-80/run6; with the earlier
    /// 4-warp blocks 2 was faster). Changing it drops the captured graphs. <c>uncomp bench --device cuda</c> times
    /// batch-1 decode with the other two.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not 1, 2 or 4.</exception>
    public int GemvSplitK
    {
        get => _gemvSplitK;
        set
        {
            if (value is not (1 or 2 or 4))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "GemvSplitK is 1, 2 or 4.");
            }

            Retune(ref _gemvSplitK, value);
        }
    }

    /// <summary>
    /// Batch-1 GEMV products that follow an RMSNorm (q|k|v, gate|up, lm_head) normalise the residual row themselves
    /// instead of a separate <c>rmsnorm_rows</c> launch, with the same sum order, so the same logits bit for bit. Starts
    /// off: every block of the product recomputes the row's norm, which costs more than the launches it saves (H200,
    /// Llama-3-8B shapes, 32K: 141.7 tok/s fused vs 146.0 separate, docs/benchmarks/gpu/NOTES.md run 8; with the norm
    /// weights loaded before the wait and unrolled loads, UNComp 4.74 %: 205.9 vs 219.6, decode-80/run6). Changing it
    /// drops the captured graphs; <c>uncomp bench --device cuda</c> also times it on.
    /// </summary>
    public bool GemvFusedNorm
    {
        get => _gemvFusedNorm;
        set
        {
            Retune(ref _gemvFusedNorm, value);
        }
    }

    /// <summary>
    /// Whether the batch-1 GEMV issues its first weight loads before waiting for the previous kernel (starts as
    /// <see cref="CudaEngineOptions.GemvPrefetch"/>); the same arithmetic either way. Changing it drops the captured
    /// graphs; <c>uncomp bench --device cuda</c> times the other setting.
    /// </summary>
    public bool GemvPrefetch
    {
        get => _gemvPrefetch;
        set
        {
            Retune(ref _gemvPrefetch, value);
        }
    }

    /// <summary>
    /// Largest inner dimension the batch-1 GEMV path takes (starts as <see cref="CudaEngineOptions.GemvMaxK"/>; larger
    /// ones go to cuBLASLt). Changing it drops the captured graphs; <c>uncomp bench --device cuda</c> also times the GEMV
    /// for every product.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int GemvMaxK
    {
        get => _gemvMaxK;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Retune(ref _gemvMaxK, value);
        }
    }

    /// <summary>Largest matrix (rows) the <see cref="GemvSplitK"/> split applies to.</summary>
    public const int GemvSplitKMaxRows = 8192;

    /// <summary>
    /// The split-KV decode-attention kernel (starts as <see cref="CudaEngineOptions.DecodeKernel"/>); changing it
    /// recomputes the geometry and drops the captured graphs. <c>uncomp bench --device cuda</c> times both.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined kernel.</exception>
    public DecodeAttentionKernel DecodeKernel
    {
        get => _decodeKernel;
        set
        {
            if (value is not (DecodeAttentionKernel.CudaCores or DecodeAttentionKernel.TensorCores))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "DecodeKernel is CudaCores or TensorCores.");
            }

            if (Retune(ref _decodeKernel, value))
            {
                FillGeometry(_arena.Layout, _decodeMinChunk);
            }
        }
    }

    /// <summary>
    /// Whether the engine's kernels launch with programmatic dependent launch (starts as
    /// <see cref="CudaEngineOptions.ProgrammaticLaunch"/>; always off before compute capability 9.0). The setting lives
    /// on the kernel module, which engines built with shared kernels share. Changing it drops the captured graphs.
    /// </summary>
    public bool ProgrammaticLaunch
    {
        get => _kernels.Module.ProgrammaticLaunch;
        set
        {
            if (value != _kernels.Module.ProgrammaticLaunch)
            {
                _kernels.Module.ProgrammaticLaunch = value;
                DropGraphs();
            }
        }
    }

    /// <summary>
    /// With a selection, whether each decode layer's selection work runs on the side stream beside the rest of the step
    /// (starts as <see cref="CudaEngineOptions.OverlapSelection"/>; false without a selection). Eager profiles
    /// (<see cref="ProfileDecode"/>) always run it in line. Changing it drops the captured graphs.
    /// </summary>
    public bool OverlapSelection
    {
        get => _overlapSelection;
        set
        {
            Retune(ref _overlapSelection, value && _selection is not null);
        }
    }

    /// <summary>
    /// Whether the tensor-core decode-attention kernel applies RoPE itself (starts as
    /// <see cref="CudaEngineOptions.FuseRopeAttention"/>): each block rotates its unit's query heads and the new key
    /// from the fp32 q|k|v product, as <c>qkv_rope</c> does, and the first split's blocks write q, k and v for the KV
    /// append and the selection: one launch fewer per layer, the same logits. The CUDA-core kernel and eager profiles
    /// (<see cref="ProfileDecode"/>) keep <c>qkv_rope</c>. Changing it drops the captured graphs.
    /// </summary>
    public bool FuseRopeAttention
    {
        get => _fuseRopeAttention;
        set
        {
            Retune(ref _fuseRopeAttention, value);
        }
    }

    /// <summary>Whether a selection (a compression method) chooses what the arena keeps; without one, units keep the most recent tokens.</summary>
    public bool HasSelection => _selection is not null;

    /// <summary>
    /// Without a selection, the split-KV combine and the KV append of each layer run as one launch
    /// (<c>decode_combine_append</c>, 32 launches fewer per step of an 8B model; starts on). Eager profiles
    /// (<see cref="ProfileDecode"/>) always time them apart. Changing it drops the captured graphs.
    /// </summary>
    public bool FuseCombineAppend
    {
        get => _fuseCombineAppend;
        set
        {
            Retune(ref _fuseCombineAppend, value);
        }
    }

    /// <summary>
    /// With a selection, the eviction choice and the KV append of each layer run as one launch
    /// (<c>evict_select_append</c>, 32 launches fewer per step of an 8B model; starts on). Eager profiles
    /// (<see cref="ProfileDecode"/>) always time them apart. Changing it drops the captured graphs.
    /// </summary>
    public bool FuseEvictAppend
    {
        get => _fuseEvictAppend;
        set
        {
            Retune(ref _fuseEvictAppend, value);
        }
    }

    /// <summary>
    /// At batch 1 on the GEMV path, the gate|up product writes the SwiGLU activation itself (each warp computes a gate
    /// row and its up row; <see cref="LlamaKernels.GemvSwiGlu"/>), bitwise the same as the product followed by
    /// <c>swiglu_rows</c>: 32 launches fewer per step of an 8B model; starts on. It needs the norm before the product
    /// as its own launch (with <see cref="GemvFusedNorm"/> on, the two stay apart). Eager profiles
    /// (<see cref="ProfileDecode"/>) always time them apart. Changing it drops the captured graphs.
    /// </summary>
    public bool FuseSwiGlu
    {
        get => _fuseSwiGlu;
        set
        {
            Retune(ref _fuseSwiGlu, value);
        }
    }

    /// <summary>The decode-attention geometry of every batch size up to the arena's, for <paramref name="minChunk"/> and the current kernel.</summary>
    private void FillGeometry(KvCacheLayout layout, int minChunk)
    {
        for (int b = 1; b < _geometry.Length; b++)
        {
            _geometry[b] = DecodeGeometry.For(_device, layout, b, minChunk, _decodeKernel);
        }
    }

    /// <summary>Sets a tuning field; when its value changes, drops the captured graphs (they hold the old launches) and says so.</summary>
    private bool Retune<T>(ref T field, T value)
    {
        if (EqualityComparer<T>.Default.Equals(field, value))
        {
            return false;
        }

        field = value;
        DropGraphs();
        return true;
    }

    private void DropGraphs()
    {
        foreach (var g in _graphs.Values)
        {
            g.Dispose();
        }

        _graphs.Clear();
        _warm.Clear();
    }

    /// <summary>How decode attention is split at batch size <paramref name="batch"/>.</summary>
    public DecodeGeometry GeometryFor(int batch) => _geometry[batch];

    /// <summary>
    /// Decodes one token per row: row i feeds <paramref name="tokens"/>[i] to <paramref name="slots"/>[i] at its next
    /// position, and writes that row's next-token logits to <paramref name="logits"/> (rows × vocab) when not empty.
    /// </summary>
    public void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        int rows = Prepare(slots, tokens, default);
        CheckLogits(logits, rows);
        RunStep(rows);
        if (!logits.IsEmpty)
        {
            _logits.Buffer.CopyToHost(logits, _logits.Offset);
        }
        else
        {
            _device.Synchronize();
        }

        Advance(slots);
    }

    /// <summary>
    /// Decodes one token per row and chooses each row's next token on the device; only the chosen ids come back.
    /// Greedy takes the lowest id among equal maxima (as the CPU sampler); sampling draws from
    /// splitmix64(<paramref name="seeds"/>[i]), so the same seeds give the same tokens.
    /// </summary>
    /// <exception cref="InvalidOperationException">A row's logits are not finite (NaN or ±inf).</exception>
    public void DecodeSample(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, SamplingOptions sampling, ReadOnlySpan<ulong> seeds, Span<int> next)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        sampling.Validate();
        int rows = Prepare(slots, tokens, seeds);
        if (next.Length != rows)
        {
            throw new ArgumentException($"next must hold {rows} token ids, got {next.Length}.", nameof(next));
        }

        RunStep(rows);
        SampleLogits(rows, sampling, next);
        Advance(slots);
    }

    /// <summary>Chooses one token per row from the logits of the last prefill (row 0) or decode step.</summary>
    public void SampleLogits(int rows, SamplingOptions sampling, Span<int> next)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        ulong output = _io.Address + (ulong)OutputOffset(MaxBatch);
        if (sampling.IsGreedy)
        {
            _kernels.ArgMax(_logits, output, rows);
        }
        else
        {
            _kernels.Sample(_logits, output, rows, (float)sampling.Temperature, sampling.TopK, (float)sampling.TopP, _io.Address + (ulong)SeedOffset(MaxBatch));
        }

        _pinned.CopyFromDeviceAsync(output, 0, rows * 4L);
        _device.Synchronize();
        var chosen = _pinned.AsSpan<int>(0, rows);
        for (int i = 0; i < rows; i++)
        {
            if (chosen[i] < 0)
            {
                throw new InvalidOperationException($"the logits of batch row {i} are not finite (NaN or ±inf); the model's weights or activations overflowed.");
            }
        }

        chosen.CopyTo(next);
    }

    /// <summary>Samples one token from given logits with one seed (checks the device sampler against its definition).</summary>
    internal int SampleFixedLogits(ReadOnlySpan<float> logits, SamplingOptions sampling, ulong seed)
    {
        CheckLogits(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(logits), logits.Length), 1);
        _logits.Buffer.CopyFromHost(logits, _logits.Offset);
        _pinned.AsSpan<ulong>(SeedOffset(1), 1)[0] = seed;
        _pinned.CopyToDeviceAsync(SeedOffset(1), _io.Address + (ulong)SeedOffset(MaxBatch), 8);
        _device.Synchronize();
        Span<int> next = stackalloc int[1];
        SampleLogits(1, sampling, next);
        return next[0];
    }

    /// <summary>Prefills <paramref name="tokens"/> into <paramref name="slot"/> with an event after every operation; returns device milliseconds per operation kind.</summary>
    public IReadOnlyDictionary<string, double> ProfilePrefill(int slot, ReadOnlySpan<int> tokens)
    {
        _profiling = true;
        try
        {
            _profiler.Begin();
            Prefill(slot, tokens, []);
            return _profiler.End();
        }
        finally
        {
            _profiling = false;
        }
    }

    /// <summary>Runs one decode step eagerly with an event after every operation and returns device milliseconds per operation kind.</summary>
    public IReadOnlyDictionary<string, double> ProfileDecode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens)
    {
        int rows = Prepare(slots, tokens, default);
        _profiling = true;
        try
        {
            _profiler.Begin();
            Record(rows);
            var result = _profiler.End();
            Advance(slots);
            return result;
        }
        finally
        {
            _profiling = false;
        }
    }

    private int Prepare(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, ReadOnlySpan<ulong> seeds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int rows = slots.Length;
        if (rows < 1 || rows > MaxBatch || tokens.Length != rows || (!seeds.IsEmpty && seeds.Length != rows))
        {
            throw new ArgumentException($"a decode step takes 1 to {MaxBatch} rows with one slot, one token (and one seed) each; got {rows} slots, {tokens.Length} tokens, {seeds.Length} seeds.");
        }

        CheckTokens(tokens);
        int limit = _model.Config.MaxPositionEmbeddings;
        var pin = _pinned.AsSpan<int>(0, 3 * rows);
        for (int i = 0; i < rows; i++)
        {
            int s = slots[i];
            _arena.CheckSlot(s);
            if (!_active[s])
            {
                throw new InvalidOperationException($"slot {s} holds no sequence; prefill it first.");
            }

            if (slots[..i].Contains(s))
            {
                throw new ArgumentException($"slot {s} appears twice in one decode step.", nameof(slots));
            }

            if (_nextPosition[s] >= limit)
            {
                throw new InvalidOperationException($"the sequence in slot {s} reached the model's context of {limit} positions (max_position_embeddings); it cannot grow further.");
            }

            pin[i] = tokens[i];
            pin[rows + i] = _nextPosition[s];
            pin[(2 * rows) + i] = s;
        }

        // Rows beyond `rows` are never read: every kernel's grid covers exactly the active rows.
        _device.MakeCurrent();
        _pinned.CopyToDeviceAsync(0, _io.Address, rows * 4L);
        _pinned.CopyToDeviceAsync(rows * 4L, _io.Address + (ulong)(MaxBatch * 4), rows * 4L);
        _pinned.CopyToDeviceAsync(2 * rows * 4L, _io.Address + (ulong)(2 * MaxBatch * 4), rows * 4L);
        if (!seeds.IsEmpty)
        {
            var seedPin = _pinned.AsSpan<ulong>(SeedOffset(rows), rows);
            seeds.CopyTo(seedPin);
            _pinned.CopyToDeviceAsync(SeedOffset(rows), _io.Address + (ulong)SeedOffset(MaxBatch), rows * 8L);
        }

        // No wait here: every step ends with a read-back or a synchronisation, so the next step's writes to the pinned
        // inputs come after these copies have run.
        return rows;
    }

    private void Advance(ReadOnlySpan<int> slots)
    {
        foreach (int s in slots)
        {
            _nextPosition[s]++;
        }
    }

    private void RunStep(int rows)
    {
        if (!Options.UseCudaGraphs)
        {
            Record(rows);
            return;
        }

        if (_graphs.TryGetValue(rows, out var graph))
        {
            graph.Launch();
            return;
        }

        if (_warm.Add(rows))
        {
            // The first step of a batch size runs eagerly: cuBLASLt and module loading finish outside any capture.
            Record(rows);
            return;
        }

        graph = CudaGraph.Capture(_device, () => Record(rows));
        _graphs[rows] = graph;
        graph.Launch();
    }

    private void Record(int rows)
    {
        var c = _model.Config;
        float eps = (float)c.RmsNormEps;
        ulong tokens = _io.Address, positions = _io.Address + (ulong)(MaxBatch * 4), slots = _io.Address + (ulong)(2 * MaxBatch * 4);
        var geometry = _geometry[rows];
        var layout = _arena.Layout;
        bool overlap = _overlapSelection && !_profiling;
        bool fuseRope = _fuseRopeAttention && !_profiling && _decodeKernel == DecodeAttentionKernel.TensorCores;
        _kernels.Embed(tokens, _model.Embedding, _x, rows);
        Mark("embed");
        for (int layer = 0; layer < c.NumLayers; layer++)
        {
            var w = _model.Layers[layer];
            // Overlapped selection reads this layer's q, k and v on the side stream while later layers run: each layer
            // writes its own rows then.
            var (q, k, v) = overlap
                ? (_layerQ.Slice(layer * MaxBatch, rows), _layerK.Slice(layer * MaxBatch, rows), _layerV.Slice(layer * MaxBatch, rows))
                : (_q, _k, _v);
            NormedMatMul(w.AttentionNorm, eps, w.Wqkv, _qkv.Take(rows), rows);
            Mark("gemm qkv");
            if (!fuseRope)
            {
                _kernels.QkvRope(_qkv, w.Bqkv?.Address ?? 0, positions, _model.InverseFrequencies, q, k, v, rows, _heads, _kvHeads, _headDim);
                Mark("rope");
            }

            // With fused RoPE the attention kernel rotates q and the new k from the product itself and writes q, k, v.
            _kernels.DecodePartial(new DecodeAttentionArgs
            {
                Q = fuseRope ? 0 : q.Address, NewK = fuseRope ? 0 : k.Address, NewV = fuseRope ? 0 : v.Address,
                Qkv = fuseRope ? _qkv.Address : 0, Bias = w.Bqkv?.Address ?? 0, Positions = positions,
                InverseFrequencies = _model.InverseFrequencies.Address, QOut = q.Address, KOut = k.Address, VOut = v.Address,
                ArenaK = _arena.Keys.Address, ArenaV = _arena.Values.Address,
                UnitOffsets = _arena.UnitOffsets.Address, Lengths = _arena.Lengths.Address, Slots = slots,
                PartialO = _partO.Address, PartialMl = _partMl.Address, SlotElements = _arena.SlotElements,
                TotalUnits = _arena.TotalUnits, LayerUnit0 = layer * layout.UnitsPerLayer, UnitsPerLayer = layout.UnitsPerLayer,
                Heads = _heads, KvHeads = _kvHeads, QueryHeadsPerUnit = layout.QueryHeadsPerUnit, UnitsPerKvHead = _unitsPerKvHead,
                HeadDim = _headDim, Rows = rows, Splits = geometry.Splits, Chunk = geometry.Chunk, Scale = _scale,
                Kernel = _decodeKernel,
            });
            Mark("attention");
            if (_selection is not null && !overlap)
            {
                _selection.PushQueries(layer, q, slots, rows);
                Mark("recent-query ring");
            }

            if (overlap)
            {
                // This step's attention has read the cache plus the new token; the selection may now change the cache.
                _device.BeginSide(_sideFork!);
                try
                {
                    _selection!.PushQueries(layer, q, slots, rows);
                    _selection.Append(layer, rows, q, k, v, slots, positions, WriteArgs(layer), null, _fuseEvictAppend);
                }
                finally
                {
                    _device.EndSide(_sideDone!);
                }
            }

            if (_selection is null && _fuseCombineAppend && !_profiling)
            {
                // One launch for the combine and the recency append (eager profiles keep them apart to time each).
                _kernels.DecodeCombineAppend(_partO.Address, _partMl.Address, _att, rows, _heads, geometry.Splits, WriteArgs(layer), k, v, slots, positions);
                Mark("attention combine + kv append");
            }
            else
            {
                _kernels.DecodeCombine(_partO.Address, _partMl.Address, _att, rows, _heads, geometry.Splits, _headDim);
                Mark("attention combine");
                if (_selection is null)
                {
                    _kernels.KvAppend(WriteArgs(layer), k, v, slots, positions, rows);
                }
                else if (!overlap)
                {
                    _selection.Append(layer, rows, q, k, v, slots, positions, WriteArgs(layer), _profiling ? Mark : null, _fuseEvictAppend && !_profiling);
                }
            }

            Mark("kv append");
            MatMul(_att.Take(rows), w.Wo, _x.Take(rows), true);
            Mark("gemm o");
            if (w.Bo is { } bo)
            {
                _kernels.AddBias(_x, bo, rows);
            }

            if (rows == 1 && _fuseSwiGlu && !_profiling && GemvTakes(w.WGateUp) && w.WGateUp.Rows % 4 == 0)
            {
                if (_gemvFusedNorm && w.WGateUp.Cols <= _kernels.GemvNormedMaxK)
                {
                    _kernels.GemvNormedSwiGlu(w.WGateUp, _x.Take(1), w.MlpNorm, eps, _mlp.Take(1), GemvSplit(w.WGateUp), _gemvPrefetch);
                }
                else
                {
                    _kernels.RmsNorm(_x, w.MlpNorm, _xn, rows, eps);
                    _kernels.GemvSwiGlu(w.WGateUp, _xn.Take(1), _mlp.Take(1), GemvSplit(w.WGateUp), _gemvPrefetch);
                }
            }
            else
            {
                NormedMatMul(w.MlpNorm, eps, w.WGateUp, _gateUp.Take(rows), rows);
                Mark("gemm gate|up");
                _kernels.SwiGlu(_gateUp, _mlp, rows);
                Mark("swiglu");
            }

            MatMul(_mlp.Take(rows), w.WDown, _x.Take(rows), true);
            Mark("gemm down");
        }

        NormedMatMul(_model.FinalNorm, eps, _model.LmHead, _logits.Take(rows), rows);
        Mark("lm head");
        if (overlap)
        {
            // The side stream's work is serial: the last layer's done event covers every layer's.
            _device.WaitFor(_sideDone!);
        }
    }

    /// <summary>
    /// y = W · RMSNorm(x): for one token on the GEMV path with <see cref="GemvFusedNorm"/>, the norm runs inside the
    /// product's input staging; otherwise <c>rmsnorm_rows</c> (marked "rmsnorm") and <see cref="MatMul"/>.
    /// </summary>
    private void NormedMatMul(DeviceTensor norm, float eps, DeviceTensor w, DeviceTensor y, int rows)
    {
        if (rows == 1 && _gemvFusedNorm && GemvTakes(w) && w.Cols <= _kernels.GemvNormedMaxK)
        {
            _kernels.GemvNormed(w, _x.Take(1), norm, eps, y, GemvSplit(w), _gemvPrefetch);
            return;
        }

        _kernels.RmsNorm(_x, norm, _xn, rows, eps);
        Mark("rmsnorm");
        MatMul(_xn.Take(rows), w, y, false);
    }

    /// <summary>One token and k ≤ GemvMaxK: the GEMV kernel; otherwise cuBLASLt (see <see cref="CudaEngineOptions.UseGemv"/>).</summary>
    private void MatMul(DeviceTensor x, DeviceTensor w, DeviceTensor y, bool accumulate)
    {
        if (x.Rows == 1 && GemvTakes(w))
        {
            _kernels.Gemv(w, x, y, accumulate, GemvSplit(w), _gemvPrefetch);
        }
        else
        {
            _gemm.Linear(x, w, y, accumulate);
        }
    }

    /// <summary>Whether a one-token product with <paramref name="w"/> goes to the GEMV kernel (else cuBLASLt).</summary>
    private bool GemvTakes(DeviceTensor w) => _useGemv && w.Cols <= Math.Min(_gemvMaxK, _kernels.GemvMaxK);

    /// <summary>The GEMV's k split for <paramref name="w"/>: <see cref="GemvSplitK"/> up to <see cref="GemvSplitKMaxRows"/> rows, else 1.</summary>
    private int GemvSplit(DeviceTensor w) => w.Rows <= GemvSplitKMaxRows ? _gemvSplitK : 1;

    private void Mark(string name)
    {
        if (_profiling)
        {
            _profiler.Mark(name);
        }
    }

    private static long SeedOffset(int batch) => ((12L * batch) + 7) / 8 * 8;

    private static long OutputOffset(int batch) => SeedOffset(batch) + (8L * batch);

    private static long IoBytes(int batch) => OutputOffset(batch) + (4L * batch);
}
