using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Cuda;

namespace UNComp.Runtime.Gpu;

/// <summary>
/// The Llama-family forward pass on an NVIDIA GPU, llama2.c style: every buffer is allocated once at construction
/// (weights by <see cref="CudaModel"/>, the KV arena exactly from the layout, scratch for the longest prompt and
/// the largest batch). Prefill runs one sequence slot through flash attention and writes its kept tokens into the
/// arena; decode runs every active slot of a batch in one pass (one CUDA graph per batch size) with split-KV
/// attention over ragged per-unit lengths, and the only synchronisation is reading back the sampled tokens (or
/// the logits). The residual stream is fp32; matrix products take bf16 operands with fp32 accumulation.
/// Units whose capacity is smaller than their sequence keep what <see cref="CudaEngineOptions.Selection"/> chooses
/// (a compression method's definition, run on the device), or the most recent tokens when no selection is given.
/// Not thread-safe: one caller at a time.
/// </summary>
public sealed partial class CudaEngine : IDisposable
{
    private readonly CudaModel _model;
    private readonly CudaDevice _device;
    private readonly LlamaKernels _kernels;
    private readonly CublasLtGemm _gemm;
    private readonly KvArena _arena;
    private readonly List<IDisposable> _owned = [];
    private readonly int _hidden, _heads, _kvHeads, _headDim, _qDim, _kvDim, _ff, _vocab, _unitsPerKvHead;
    private readonly float _scale;
    private readonly DeviceTensor _x, _xn, _qkv, _q, _k, _v, _att, _gateUp, _mlp, _logits;
    private readonly DeviceTensor _layerQ, _layerK, _layerV;
    private readonly CudaEvent? _sideFork, _sideDone;
    private readonly DeviceTensor? _vt;
    private PrefillAttentionKernel _prefillKernel;
    private readonly DeviceBuffer _tokens, _positions, _io, _partO, _partMl;
    private readonly PinnedHostBuffer _pinned;
    private readonly GpuSelection? _selection;
    private readonly int[] _nextPosition;
    private readonly bool[] _active;
    private bool _disposed;

    /// <summary>Creates an engine for <paramref name="model"/> with a KV arena of <paramref name="layout"/> per slot.</summary>
    /// <exception cref="NotSupportedException">A head dimension or GQA group the kernels are not built for.</exception>
    /// <exception cref="Cuda.Interop.CudaException">The buffers do not fit the device.</exception>
    public CudaEngine(CudaModel model, KvCacheLayout layout, CudaEngineOptions? options = null)
        : this(model, layout, options, null)
    {
    }

    /// <summary>
    /// Creates an engine that uses <paramref name="shared"/>'s kernels and GEMM handle (not disposed with the engine), so
    /// many short-lived engines (one per prompt and layout, as the evaluation harness makes them) skip module loading.
    /// </summary>
    internal CudaEngine(CudaModel model, KvCacheLayout layout, CudaEngineOptions? options, CudaEngineShared? shared)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layout);
        options ??= new CudaEngineOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatch, 1);
        var c = model.Config;
        _model = model;
        _device = model.Device;
        Options = options;
        _hidden = c.HiddenSize;
        _heads = c.NumAttentionHeads;
        _kvHeads = c.NumKeyValueHeads;
        _headDim = c.HeadDim;
        _qDim = _heads * _headDim;
        _kvDim = _kvHeads * _headDim;
        _ff = c.IntermediateSize;
        _vocab = c.VocabSize;
        _scale = 1f / MathF.Sqrt(_headDim);
        if (!LlamaKernels.SupportsHeadDim(_headDim))
        {
            throw new NotSupportedException($"head_dim {_headDim} is not supported on CUDA yet (the attention kernels are built for 32, 64 and 128); use --device cpu.");
        }

        if (layout.Layers != c.NumLayers || layout.HeadDim != _headDim || layout.UnitsPerLayer != KvCacheLayout.UnitsOf(c, layout.Granularity))
        {
            throw new ArgumentException($"the cache layout ({layout.Layers} layers × {layout.UnitsPerLayer} units × head dim {layout.HeadDim}) does not match the model ({c.NumLayers} layers, head dim {_headDim}).", nameof(layout));
        }

        if (layout.QueryHeadsPerUnit > LlamaKernels.MaxQueryHeadsPerUnit)
        {
            throw new NotSupportedException($"{layout.QueryHeadsPerUnit} query heads per KV head exceed the decode kernel's {LlamaKernels.MaxQueryHeadsPerUnit}; use the queryHead granularity or --device cpu.");
        }

        _unitsPerKvHead = layout.Granularity == CacheGranularity.KvHead ? 1 : c.QueryHeadsPerKvHead;
        MaxPrefillTokens = options.MaxPrefillTokens ?? layout.MaxCapacity;
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPrefillTokens, 1, nameof(options));
        int batch = options.MaxBatch;
        int rows = Math.Max(MaxPrefillTokens, batch);
        int mlpRows = Math.Max(Math.Min(options.MlpChunkTokens, rows), batch);
        _geometry = new DecodeGeometry[batch + 1];
        _decodeKernel = options.DecodeKernel is DecodeAttentionKernel.CudaCores or DecodeAttentionKernel.TensorCores
            ? options.DecodeKernel
            : throw new ArgumentOutOfRangeException(nameof(options), options.DecodeKernel, "CudaEngineOptions.DecodeKernel is CudaCores or TensorCores.");
        _gemvMaxK = options.GemvMaxK >= 0 ? options.GemvMaxK : throw new ArgumentOutOfRangeException(nameof(options), options.GemvMaxK, "CudaEngineOptions.GemvMaxK must not be negative.");
        FillGeometry(layout, minChunk: 0);
        long partRows = 0;
        for (int b = 1; b <= batch; b++)
        {
            // Sized for the CUDA-core geometry, which never has fewer splits: DecodeKernel can change later.
            partRows = Math.Max(partRows, (long)b * _heads * DecodeGeometry.For(_device, layout, b, 0, DecodeAttentionKernel.CudaCores).Splits);
        }

        try
        {
            _kernels = shared?.Kernels ?? Own(new LlamaKernels(_device, options.KernelDefines));
            _gemm = shared?.Gemm ?? Own(new CublasLtGemm(_device));
            _kernels.CheckShape(_headDim, layout.QueryHeadsPerUnit);
            _kernels.Module.ProgrammaticLaunch = options.ProgrammaticLaunch;
            _arena = Own(new KvArena(_device, layout, batch));
            _x = Scratch(DType.F32, rows, _hidden, "x");
            _xn = Scratch(DType.BF16, rows, _hidden, "normed x");
            _qkv = Scratch(DType.F32, rows, _qDim + (2 * _kvDim), "q|k|v");
            _q = Scratch(DType.BF16, rows, _qDim, "q");
            _k = Scratch(DType.BF16, rows, _kvDim, "k");
            _v = Scratch(DType.BF16, rows, _kvDim, "v");
            _att = Scratch(DType.BF16, rows, _qDim, "attention output");
            _gateUp = Scratch(DType.BF16, mlpRows, 2 * _ff, "gate|up");
            _mlp = Scratch(DType.BF16, mlpRows, _ff, "MLP activation");
            _logits = Scratch(DType.F32, batch, _vocab, "logits");
            if (_kernels.HasWgmmaPrefill && _headDim == 128)
            {
                _vt = Scratch(DType.BF16, _kvHeads * 128, LlamaKernels.WgmmaPaddedKeys(rows), "transposed V (wgmma prefill)");
            }

            PrefillKernel = options.PrefillKernel;
            _tokens = Own(_device.Allocate(rows * 4L, "prompt token ids"));
            ScratchBytes += (rows * 8L) + IoBytes(batch) + (partRows * (_headDim + 2) * 4) + _arena.MetadataBytes;
            _positions = Own(_device.Allocate(rows * 4L, "prompt positions"));
            _io = Own(_device.Allocate(IoBytes(batch), "decode step inputs"));
            _partO = Own(_device.Allocate(partRows * _headDim * 4, "decode attention partials"));
            _partMl = Own(_device.Allocate(partRows * 2 * 4, "decode attention partial statistics"));
            _pinned = Own(new PinnedHostBuffer(_device, Math.Max(IoBytes(batch), (long)batch * 4)));
            if (options.Selection is { } spec)
            {
                _selection = Own(new GpuSelection(_device, _kernels, _arena, spec, options.GrowTokens, _heads, _kvHeads, _unitsPerKvHead, MaxPrefillTokens, _scale));
                ScratchBytes += _selection.Bytes;
                _layerQ = Scratch(DType.BF16, c.NumLayers * batch, _qDim, "per-layer decode q");
                _layerK = Scratch(DType.BF16, c.NumLayers * batch, _kvDim, "per-layer decode k");
                _layerV = Scratch(DType.BF16, c.NumLayers * batch, _kvDim, "per-layer decode v");
                _sideFork = Own(new CudaEvent(_device));
                _sideDone = Own(new CudaEvent(_device));
                _overlapSelection = options.OverlapSelection;
            }
            else if (options.HiddenStates is not null || options.GrowTokens != 0)
            {
                throw new ArgumentException("hidden-state stages and grow headroom need a selection (CudaEngineOptions.Selection).", nameof(options));
            }
        }
        catch
        {
            DisposeOwned();
            throw;
        }

        _nextPosition = new int[batch];
        _active = new bool[batch];
        _profiler = new StreamProfiler(_device);
        _useGemv = options.UseGemv;
        _gemvPrefetch = options.GemvPrefetch;
        _fuseRopeAttention = options.FuseRopeAttention;
    }

    /// <summary>
    /// Creates an engine that runs <paramref name="plan"/> (a compression method resolved for one run): the arena from its
    /// budgets, its selection, decode headroom and hidden-state stages on the device.
    /// </summary>
    public static CudaEngine ForPlan(CudaModel model, CompressionMethodPlan plan, CudaEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new CudaEngine(model, plan.Budgets.ToLayout(), (options ?? new CudaEngineOptions()).With(plan));
    }

    /// <summary>The model.</summary>
    public CudaModel Model => _model;

    /// <summary>
    /// The prefill's attention kernel (starts as <see cref="CudaEngineOptions.PrefillKernel"/>). Setting
    /// <see cref="PrefillAttentionKernel.Wgmma"/> where it cannot run (not compute capability 9.0, or a head dim other
    /// than 128) leaves <see cref="PrefillAttentionKernel.MmaSync"/>; the getter reports the kernel that runs.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined kernel.</exception>
    public PrefillAttentionKernel PrefillKernel
    {
        get => _prefillKernel;
        set
        {
            if (value is not (PrefillAttentionKernel.MmaSync or PrefillAttentionKernel.Wgmma))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "PrefillKernel is MmaSync or Wgmma.");
            }

            _prefillKernel = value == PrefillAttentionKernel.Wgmma && _vt is null ? PrefillAttentionKernel.MmaSync : value;
        }
    }

    /// <summary>The engine's kernels (the calibration launches its own on the same module).</summary>
    internal LlamaKernels Kernels => _kernels;

    /// <summary>Called in every prefill layer after the q|k|v projection (the GPU calibration measures the queries there).</summary>
    internal Action<CudaPrefillLayer>? PrefillObserver { get; set; }

    /// <summary>The device state of the selection (tests read its scores).</summary>
    internal GpuSelection? SelectionState => _selection;

    /// <summary>The selection the engine runs, or null for recency.</summary>
    public SelectionSpec? Selection => _selection?.Spec;

    /// <summary>
    /// The cached positions of one unit of <paramref name="slot"/> in position order (synchronises). With a selection the
    /// arena's slots are not in position order after decode evictions; this reads them through the order list.
    /// </summary>
    public int[] ReadKeptPositions(int slot, int layer, int unit)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _selection is null ? [.. _arena.ReadPositions(slot, layer, unit).Order()] : _selection.ReadPositionsInOrder(slot, layer, unit);
    }

    /// <summary>The options the engine was built with.</summary>
    public CudaEngineOptions Options { get; }

    /// <summary>The KV arena.</summary>
    public KvArena Arena => _arena;

    /// <summary>Longest prompt one prefill takes.</summary>
    public int MaxPrefillTokens { get; }

    /// <summary>Sequence slots.</summary>
    public int MaxBatch => Options.MaxBatch;

    /// <summary>Device bytes of keys and values (the plan's bytes).</summary>
    public long KvBytes => _arena.KvBytes;

    /// <summary>Device bytes of the engine's other buffers (activations, partials, io, arena metadata).</summary>
    public long ScratchBytes { get; private set; }

    /// <summary>Whether <paramref name="slot"/> holds a prefilled sequence.</summary>
    public bool IsActive(int slot)
    {
        _arena.CheckSlot(slot);
        return _active[slot];
    }

    /// <summary>Position the next token of <paramref name="slot"/> gets.</summary>
    public int NextPosition(int slot)
    {
        _arena.CheckSlot(slot);
        return _nextPosition[slot];
    }

    /// <summary>Forks the sequence in <paramref name="source"/> into <paramref name="destination"/> (cache and position), e.g. for parallel samples of one prompt.</summary>
    public void CloneSlot(int source, int destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _arena.CheckSlot(source);
        if (!_active[source])
        {
            throw new InvalidOperationException($"slot {source} holds no sequence to clone.");
        }

        _arena.CopySlot(source, destination);
        _selection?.CopySlot(source, destination);
        _device.Synchronize();
        _nextPosition[destination] = _nextPosition[source];
        _active[destination] = true;
    }

    /// <summary>Frees <paramref name="slot"/> for another sequence.</summary>
    public void Release(int slot)
    {
        _arena.CheckSlot(slot);
        _active[slot] = false;
        _nextPosition[slot] = 0;
    }

    /// <summary>
    /// Prefills <paramref name="tokens"/> into <paramref name="slot"/> (positions 0..n−1), replacing what it held,
    /// and writes the last token's logits to <paramref name="logits"/> when it is not empty.
    /// </summary>
    /// <param name="slot">Sequence slot in [0, MaxBatch).</param>
    /// <param name="tokens">Prompt ids, 1..MaxPrefillTokens of them.</param>
    /// <param name="logits">vocab_size floats, or empty to skip the read-back.</param>
    /// <param name="layersDone">Reports finished layers (each report waits for the device).</param>
    /// <param name="cancellationToken">Checked between layers; a cancelled prefill leaves the slot empty.</param>
    public void Prefill(int slot, ReadOnlySpan<int> tokens, Span<float> logits, IProgress<int>? layersDone = null, CancellationToken cancellationToken = default) =>
        Prefill(slot, tokens, logits, null, layersDone, cancellationToken);

    /// <summary>
    /// Prefills like <see cref="Prefill(int, ReadOnlySpan{int}, Span{float}, IProgress{int}?, CancellationToken)"/> with
    /// UNComp's hidden-state stages <paramref name="hiddenStates"/> for this prompt (null: <see cref="CudaEngineOptions.HiddenStates"/>).
    /// </summary>
    /// <param name="slot">Sequence slot in [0, MaxBatch).</param>
    /// <param name="tokens">Prompt ids, 1..MaxPrefillTokens of them.</param>
    /// <param name="logits">vocab_size floats, or empty to skip the read-back.</param>
    /// <param name="hiddenStates">Stages (keep lengths per layer) or null for the engine's.</param>
    /// <param name="layersDone">Reports finished layers (each report waits for the device).</param>
    /// <param name="cancellationToken">Checked between layers; a cancelled prefill leaves the slot empty.</param>
    public void Prefill(int slot, ReadOnlySpan<int> tokens, Span<float> logits, HiddenStateSpec? hiddenStates, IProgress<int>? layersDone = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _arena.CheckSlot(slot);
        int n = tokens.Length;
        if (n < 1 || n > MaxPrefillTokens)
        {
            throw new ArgumentException($"the prompt has {n} tokens; this engine takes 1 to {MaxPrefillTokens} per prefill.", nameof(tokens));
        }

        CheckTokens(tokens);
        CheckLogits(logits, 1);
        var stages = hiddenStates ?? Options.HiddenStates;
        if (stages is not null && _selection is null)
        {
            throw new ArgumentException("hidden-state stages need a selection (CudaEngineOptions.Selection).", nameof(hiddenStates));
        }

        _device.MakeCurrent();
        _active[slot] = false;
        int promptLength = n;
        var positions = new int[n];
        for (int i = 0; i < n; i++)
        {
            positions[i] = i;
        }

        _tokens.CopyFromHost(tokens);
        _positions.CopyFromHost<int>(positions);
        var c = _model.Config;
        float eps = (float)c.RmsNormEps;
        _kernels.Embed(_tokens.Address, _model.Embedding, _x, n);
        Mark("embed");
        for (int layer = 0; layer < c.NumLayers; layer++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var w = _model.Layers[layer];
            if (stages is not null && layer > 0 && stages.KeepTokens(layer) is var keepTokens && keepTokens < n)
            {
                if (keepTokens < 1)
                {
                    throw new ArgumentException($"the hidden-state stages keep {keepTokens} tokens at layer {layer}; at least 1 is needed.", nameof(hiddenStates));
                }

                _selection!.Prune(stages, n, keepTokens, _x, _positions, _qkv.Buffer, _tokens);
                Mark("hidden-state stage");
                n = keepTokens;
            }

            _kernels.RmsNorm(_x, w.AttentionNorm, _xn, n, eps);
            Mark("rmsnorm");
            _gemm.Linear(_xn.Take(n), w.Wqkv, _qkv.Take(n));
            Mark("gemm qkv");
            _kernels.QkvRope(_qkv, w.Bqkv?.Address ?? 0, _positions.Address, _model.InverseFrequencies, _q, _k, _v, n, _heads, _kvHeads, _headDim);
            Mark("rope");
            PrefillObserver?.Invoke(new CudaPrefillLayer(layer, n, _qkv, w.Bqkv?.Address ?? 0, _positions.Address, _model.InverseFrequencies.Address));
            bool stageNext = stages is not null && layer + 1 < c.NumLayers && stages.KeepTokens(layer + 1) < n;
            bool normalisers = _selection is not null && (_selection.NeedsNormalisers || stageNext);
            ulong lse = normalisers ? _selection!.Normalisers : 0;
            if (_prefillKernel == PrefillAttentionKernel.Wgmma)
            {
                _kernels.FlashPrefillWgmma(_q, _k, _v, _vt!.Value, _att, n, _heads, _kvHeads, _scale, lse);
            }
            else
            {
                _kernels.FlashPrefill(_q, _k, _v, _att, n, _heads, _kvHeads, _headDim, _scale, lse);
            }

            Mark("flash attention");
            if (_selection is null)
            {
                _kernels.KvPrefillWrite(WriteArgs(layer), _k, _v, _positions.Address, slot, n);
            }
            else
            {
                _selection.PrefillLayer(layer, slot, n, _q, _k, _v, _positions.Address, WriteArgs(layer));
                if (stageNext)
                {
                    _selection.StageScores(n, _q, _k, stages!.Window);
                }
            }

            Mark("kv write");
            _gemm.Linear(_att.Take(n), w.Wo, _x.Take(n), accumulate: true);
            Mark("gemm o");
            if (w.Bo is { } bo)
            {
                _kernels.AddBias(_x, bo, n);
            }

            _kernels.RmsNorm(_x, w.MlpNorm, _xn, n, eps);
            Mark("rmsnorm");
            for (int t0 = 0; t0 < n; t0 += _gateUp.Rows)
            {
                int r = Math.Min(_gateUp.Rows, n - t0);
                _gemm.Linear(_xn.Slice(t0, r), w.WGateUp, _gateUp.Take(r));
                Mark("gemm gate|up");
                _kernels.SwiGlu(_gateUp, _mlp, r);
                Mark("swiglu");
                _gemm.Linear(_mlp.Take(r), w.WDown, _x.Slice(t0, r), accumulate: true);
                Mark("gemm down");
            }

            if (layersDone is not null)
            {
                _device.Synchronize();
                layersDone.Report(layer + 1);
            }
        }

        _kernels.RmsNorm(_x.Slice(n - 1, 1), _model.FinalNorm, _xn, 1, eps);
        _gemm.Linear(_xn.Take(1), _model.LmHead, _logits.Take(1));
        Mark("lm head");
        if (!logits.IsEmpty)
        {
            _logits.Buffer.CopyToHost(logits, _logits.Offset);
        }
        else
        {
            _device.Synchronize();
        }

        _nextPosition[slot] = promptLength;
        _active[slot] = true;
    }

    /// <summary>Reads the logits of batch row <paramref name="row"/> of the last step (synchronises).</summary>
    public void ReadLogits(int row, Span<float> logits)
    {
        CheckLogits(logits, 1);
        _logits.Buffer.CopyToHost(logits, _logits.Offset + ((long)row * _vocab * 4));
    }

    private KvWriteArgs WriteArgs(int layer) => new()
    {
        ArenaK = _arena.Keys.Address,
        ArenaV = _arena.Values.Address,
        Positions = _arena.Positions.Address,
        Lengths = _arena.Lengths.Address,
        UnitOffsets = _arena.UnitOffsets.Address,
        UnitCapacities = _arena.UnitCapacities.Address,
        SlotElements = _arena.SlotElements,
        SlotTokens = _arena.SlotTokens,
        TotalUnits = _arena.TotalUnits,
        LayerUnit0 = layer * _arena.Layout.UnitsPerLayer,
        UnitsPerLayer = _arena.Layout.UnitsPerLayer,
        KvHeads = _kvHeads,
        UnitsPerKvHead = _unitsPerKvHead,
        HeadDim = _headDim,
    };

    private void CheckTokens(ReadOnlySpan<int> tokens)
    {
        foreach (int t in tokens)
        {
            if ((uint)t >= (uint)_vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), t, $"token id must be in [0, {_vocab}).");
            }
        }
    }

    private void CheckLogits(Span<float> logits, int rows)
    {
        if (!logits.IsEmpty && logits.Length != (long)rows * _vocab)
        {
            throw new ArgumentException($"logits must hold {rows} × vocab_size = {(long)rows * _vocab} floats (or be empty), got {logits.Length}.", nameof(logits));
        }
    }

    private DeviceTensor Scratch(DType type, int rows, int cols, string what)
    {
        var buffer = Own(_device.Allocate((long)rows * cols * type.Size(), $"the {what} buffer ({rows} × {cols})"));
        ScratchBytes += buffer.Bytes;
        return new DeviceTensor(buffer, 0, type, rows, cols);
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    private void DisposeOwned()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _owned.Clear();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _device.MakeCurrent();
        _device.Synchronize();
        DropGraphs();
        _profiler.Dispose();
        DisposeOwned();
        if (Options.OwnsModel)
        {
            _model.Dispose();
        }
    }
}
