using UNComp.Runtime.Compression;
using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Cuda;

namespace UNComp.Runtime.Gpu;

/// <summary>
/// A <see cref="SelectionSpec"/> executed on the device for one <see cref="CudaEngine"/>: the same definitions the CPU
/// engine runs through <see cref="SpecPolicy"/>, as kernel launches with no host round trip inside a prefill or a
/// decode step. Prefill: scores (observation-window or all-row column sums from the flash kernel's normalisers, key
/// norms, or recency), pooling and a segmented top-k per unit, the gather into the arena; UNComp's hidden-state stages
/// (scores of the previous layer's last rows over all heads, top-k, gather of the residual rows and positions).
/// Decode: the recent-query ring, re-scoring of full units over their cached keys plus the new key, eviction by
/// position rank (an order list per unit), and the append into the evicted slot. Every buffer is allocated here,
/// once; <see cref="Bytes"/> reports them.
/// </summary>
internal sealed class GpuSelection : IDisposable
{
    private readonly CudaDevice _device;
    private readonly LlamaKernels _kernels;
    private readonly KvArena _arena;
    private readonly List<DeviceBuffer> _owned = [];
    private readonly int _heads, _kvHeads, _headDim, _qDim, _layers, _unitsPerLayer, _headsPerUnit, _unitsPerKvHead, _maxPrefill;
    private readonly int _maxCapacity, _maxPairs, _splits;
    private readonly int[] _prefillKeep;
    private readonly float _scale;
    private readonly DeviceBuffer _order, _prefillPlan, _decodePlan, _scores, _keys, _keep, _keepLengths, _lse, _stageScores, _stagePlan;
    private readonly DeviceBuffer? _accumulated, _ring, _queryCounts, _partials, _decodeScores, _newScores, _destinations;

    public GpuSelection(CudaDevice device, LlamaKernels kernels, KvArena arena, SelectionSpec spec, int growTokens, int heads, int kvHeads,
        int unitsPerKvHead, int maxPrefillTokens, float scale)
    {
        spec.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(growTokens);
        if (growTokens > 0 && spec.Decode != DecodeMode.Grow)
        {
            throw new ArgumentException($"{growTokens} grow tokens need DecodeMode.Grow; the selection is {spec.Decode}.", nameof(growTokens));
        }

        var layout = arena.Layout;
        _device = device;
        _kernels = kernels;
        _arena = arena;
        Spec = spec;
        _heads = heads;
        _kvHeads = kvHeads;
        _headDim = layout.HeadDim;
        _qDim = heads * _headDim;
        _layers = layout.Layers;
        _unitsPerLayer = layout.UnitsPerLayer;
        _headsPerUnit = layout.QueryHeadsPerUnit;
        _unitsPerKvHead = unitsPerKvHead;
        _maxPrefill = maxPrefillTokens;
        _scale = scale;
        _maxCapacity = layout.MaxCapacity;
        _splits = (_maxCapacity + LlamaKernels.RescoreChunk) / LlamaKernels.RescoreChunk;
        _maxPairs = spec.Source switch
        {
            ScoreSource.ObservationWindow => spec.Window * _headsPerUnit,
            ScoreSource.AccumulatedAttention => _headsPerUnit,
            _ => 0,
        };
        if (_maxPairs > LlamaKernels.RescoreMaxPairs)
        {
            throw new NotSupportedException($"window {spec.Window} × {_headsPerUnit} query heads per unit = {_maxPairs} query rows to re-score per unit; the CUDA kernels take at most {LlamaKernels.RescoreMaxPairs}. Use a smaller window or --device cpu.");
        }

        if (4L * _maxCapacity > device.MaxSharedMemoryPerBlock)
        {
            throw new NotSupportedException($"a unit capacity of {_maxCapacity} tokens exceeds what the CUDA eviction kernel ranks in shared memory ({device.MaxSharedMemoryPerBlock / 4} tokens); use smaller budgets or --device cpu.");
        }

        int totalUnits = arena.TotalUnits;
        var prefillPlan = new int[totalUnits * 3];
        var decodePlan = new int[totalUnits * 2];
        _prefillKeep = new int[totalUnits];
        for (int l = 0; l < _layers; l++)
        {
            for (int j = 0; j < _unitsPerLayer; j++)
            {
                int u = (l * _unitsPerLayer) + j;
                int cap = layout.Capacity(l, j);
                int keep = Math.Clamp(cap - growTokens, 1, cap);
                _prefillKeep[u] = keep;
                prefillPlan[(u * 3) + 0] = keep;
                prefillPlan[(u * 3) + 1] = spec.SinkTokens(keep);
                prefillPlan[(u * 3) + 2] = spec.RecentTokens(keep);
                decodePlan[(u * 2) + 0] = spec.SinkTokens(cap);
                decodePlan[(u * 2) + 1] = spec.RecentTokens(cap);
            }
        }

        int batch = arena.MaxBatch;
        long segments = Math.Max(_unitsPerLayer, 1);
        try
        {
            _order = Allocate(batch * arena.SlotTokens * 4, "the KV order lists (slots in position order)");
            _prefillPlan = Allocate(prefillPlan.Length * 4L, "the prefill selection plan");
            _decodePlan = Allocate(decodePlan.Length * 4L, "the decode eviction plan");
            _scores = Allocate(segments * _maxPrefill * 4, "the prefill selection scores");
            _keys = Allocate(segments * _maxPrefill * 8, "the top-k keys");
            _keep = Allocate(segments * _maxPrefill * 4, "the kept prompt rows");
            _keepLengths = Allocate(segments * 4, "the kept row counts");
            _lse = Allocate((long)heads * _maxPrefill * 4, "the prefill softmax normalisers");
            _stageScores = Allocate(_maxPrefill * 4L, "the hidden-state stage scores");
            _stagePlan = Allocate(12, "the hidden-state stage plan");
            if (spec.Source == ScoreSource.AccumulatedAttention)
            {
                _accumulated = Allocate(batch * arena.SlotTokens * 4, "the accumulated attention scores");
                _newScores = Allocate((long)batch * _unitsPerLayer * 4, "the new tokens' accumulated scores");
            }

            if (spec.Source == ScoreSource.ObservationWindow)
            {
                _ring = Allocate((long)batch * _layers * spec.Window * _qDim * 2, "the recent-query ring");
                _queryCounts = Allocate((long)batch * _layers * 4, "the recent-query counts");
                _decodeScores = Allocate((long)batch * _unitsPerLayer * _maxCapacity * 4, "the decode re-scoring scores");
            }

            if (_maxPairs > 0)
            {
                _partials = Allocate((long)batch * _unitsPerLayer * _splits * _maxPairs * 2 * 4, "the decode re-scoring partials");
            }

            _destinations = Allocate((long)batch * _unitsPerLayer * 4, "the decode destinations");
        }
        catch
        {
            Dispose();
            throw;
        }

        _prefillPlan.CopyFromHost<int>(prefillPlan);
        _decodePlan.CopyFromHost<int>(decodePlan);
        _order.Fill(0);
        _accumulated?.Fill(0);
        _queryCounts?.Fill(0);
    }

    /// <summary>The selection executed.</summary>
    public SelectionSpec Spec { get; }

    /// <summary>Device bytes of the selection's buffers.</summary>
    public long Bytes => _owned.Sum(b => b.Bytes);

    /// <summary>Whether the flash kernel must write its normalisers for this prefill layer.</summary>
    public bool NeedsNormalisers => Spec.Source is ScoreSource.ObservationWindow or ScoreSource.AccumulatedAttention;

    /// <summary>The flash kernel's normaliser buffer.</summary>
    public ulong Normalisers => _lse.Address;

    /// <summary>
    /// Writes layer <paramref name="layer"/>'s prompt keys and values of <paramref name="slot"/> into the arena: every token
    /// when each unit has room, else the spec's selection; then the recent queries and accumulated scores.
    /// </summary>
    public void PrefillLayer(int layer, int slot, int n, DeviceTensor q, DeviceTensor k, DeviceTensor v, ulong tokenPositions, in KvWriteArgs write)
    {
        int unit0 = layer * _unitsPerLayer;
        bool select = false;
        for (int j = 0; j < _unitsPerLayer; j++)
        {
            select |= n > _prefillKeep[unit0 + j];
        }

        var spec = Spec;
        bool columns = spec.Source == ScoreSource.AccumulatedAttention;
        if (columns)
        {
            _kernels.ColumnSums(q.Address, k.Address, _lse.Address, _scores.Address, n, 0, _heads, _kvHeads, _headsPerUnit, _unitsPerLayer, _headDim, _scale);
        }

        if (select)
        {
            switch (spec.Source)
            {
                case ScoreSource.ObservationWindow:
                    _kernels.ColumnSums(q.Address, k.Address, _lse.Address, _scores.Address, n, n - Math.Min(spec.Window, n), _heads, _kvHeads, _headsPerUnit, _unitsPerLayer, _headDim, _scale);
                    break;
                case ScoreSource.KeyNorm:
                    _kernels.KeyNormScores(k.Address, _scores.Address, n, _kvHeads, _unitsPerKvHead, _unitsPerLayer, _headDim);
                    break;
            }

            _kernels.SelectTopK(_scores.Address, _prefillPlan.Address + (ulong)(unit0 * 12), _keep.Address, _keepLengths.Address, _keys.Address,
                n, _unitsPerLayer, n, PoolCode(spec), spec.Kernel, spec.Source == ScoreSource.None);
        }

        var rows = new KvSelectedRows(
            select ? _keep.Address : 0, n, select ? _keepLengths.Address : 0, _order.Address,
            columns ? _scores.Address : 0, columns ? _accumulated!.Address : 0);
        _kernels.KvPrefillWrite(write, k, v, tokenPositions, slot, n, rows);
        if (_ring is not null)
        {
            _kernels.QueriesPushPrefill(q.Address, _ring.Address, _queryCounts!.Address, slot, layer, _layers, n, spec.Window, Math.Min(spec.Window, n), _qDim);
        }
    }

    /// <summary>Scores this layer's tokens for the next layer's hidden-state stage: Σ over its last rows and all heads.</summary>
    public void StageScores(int n, DeviceTensor q, DeviceTensor k, int window) =>
        _kernels.ColumnSums(q.Address, k.Address, _lse.Address, _stageScores.Address, n, n - Math.Min(Math.Max(1, window), n), _heads, _kvHeads, _heads, 1, _headDim, _scale);

    /// <summary>
    /// Keeps <paramref name="keepTokens"/> of the <paramref name="n"/> rows of the residual stream <paramref name="x"/>
    /// and of <paramref name="positions"/> (top stage scores, the last rows when the spec keeps its window), in order.
    /// </summary>
    public void Prune(HiddenStateSpec stages, int n, int keepTokens, DeviceTensor x, DeviceBuffer positions, DeviceBuffer tempX, DeviceBuffer tempPositions)
    {
        var spec = stages.Selection;
        _stagePlan.CopyFromHost<int>([keepTokens, spec.SinkTokens(keepTokens), spec.RecentTokens(keepTokens)]);
        _kernels.SelectTopK(_stageScores.Address, _stagePlan.Address, _keep.Address, _keepLengths.Address, _keys.Address, n, 1, n, 0, 1, recency: false);
        _kernels.GatherRows(x.Address, tempX.Address, positions.Address, tempPositions.Address, _keep.Address, keepTokens, x.Cols);
        x.Buffer.CopyFrom(tempX, 0, x.Offset, (long)keepTokens * x.Cols * 4);
        positions.CopyFrom(tempPositions, 0, 0, keepTokens * 4L);
    }

    /// <summary>Decode: pushes each row's query of <paramref name="layer"/> into its recent-query ring (observation-window specs).</summary>
    public void PushQueries(int layer, DeviceTensor q, ulong slots, int rows)
    {
        if (_ring is not null)
        {
            _kernels.QueriesPushDecode(q.Address, _ring.Address, _queryCounts!.Address, slots, rows, layer, _layers, Spec.Window, _qDim);
        }
    }

    /// <summary>Decode: re-scores full units, chooses each (row, unit)'s slot (evicting when full) and appends the step's key and value.</summary>
    public void Append(int layer, int rows, DeviceTensor q, DeviceTensor newK, DeviceTensor newV, ulong slots, ulong tokenPositions, in KvWriteArgs write, Action<string>? mark = null, bool fuseEvictAppend = false)
    {
        var spec = Spec;
        var args = new RescoreArgs
        {
            Q = q.Address, Ring = _ring?.Address ?? 0, QueryCounts = _queryCounts?.Address ?? 0, NewK = newK.Address,
            ArenaK = _arena.Keys.Address, UnitOffsets = _arena.UnitOffsets.Address, Lengths = _arena.Lengths.Address,
            UnitCapacities = _arena.UnitCapacities.Address, Slots = slots, Partials = _partials?.Address ?? 0,
            Scores = _decodeScores?.Address ?? 0, Accumulated = _accumulated?.Address ?? 0, NewScores = _newScores?.Address ?? 0,
            SlotElements = _arena.SlotElements, SlotTokens = _arena.SlotTokens, TotalUnits = _arena.TotalUnits,
            LayerUnit0 = layer * _unitsPerLayer, UnitsPerLayer = _unitsPerLayer, Heads = _heads, KvHeads = _kvHeads,
            HeadsPerUnit = _headsPerUnit, UnitsPerKvHead = _unitsPerKvHead, Layer = layer, Layers = _layers,
            Window = Math.Max(1, spec.Window), Mode = spec.Source == ScoreSource.ObservationWindow ? 1 : 2, MaxPairs = _maxPairs,
            ScoreStride = _maxCapacity, Splits = _splits, Chunk = LlamaKernels.RescoreChunk, Rows = rows, HeadDim = _headDim, Scale = _scale,
        };
        if (_maxPairs > 0)
        {
            _kernels.Rescore(args);
            mark?.Invoke("decode re-scoring");
        }

        int source = spec.Source switch
        {
            ScoreSource.ObservationWindow => 1,
            ScoreSource.AccumulatedAttention => 2,
            ScoreSource.KeyNorm => 3,
            _ => 0,
        };
        if (fuseEvictAppend)
        {
            _kernels.EvictSelectAppend(args, _order.Address, _decodePlan.Address, _destinations!.Address, source, PoolCode(spec), spec.Kernel, _maxCapacity,
                write, newK, newV, tokenPositions);
            mark?.Invoke("eviction choice + kv append");
            return;
        }

        _kernels.EvictSelect(args, _order.Address, _decodePlan.Address, _destinations!.Address, source, PoolCode(spec), spec.Kernel, _maxCapacity);
        mark?.Invoke("eviction choice");
        _kernels.KvAppend(write, newK, newV, slots, tokenPositions, rows, _destinations.Address, _accumulated?.Address ?? 0, _newScores?.Address ?? 0);
    }

    /// <summary>Queues a copy of <paramref name="source"/>'s selection state (order, scores, recent queries) into <paramref name="destination"/>.</summary>
    public void CopySlot(int source, int destination)
    {
        long tokens = _arena.SlotTokens * 4;
        _order.CopyFrom(_order, source * tokens, destination * tokens, tokens);
        _accumulated?.CopyFrom(_accumulated, source * tokens, destination * tokens, tokens);
        if (_ring is not null)
        {
            long ring = (long)_layers * Spec.Window * _qDim * 2;
            _ring.CopyFrom(_ring, source * ring, destination * ring, ring);
            _queryCounts!.CopyFrom(_queryCounts, (long)source * _layers * 4, (long)destination * _layers * 4, _layers * 4L);
        }
    }

    /// <summary>Reads the cached positions of one unit in position order (oldest first; synchronises).</summary>
    public int[] ReadPositionsInOrder(int slot, int layer, int unit)
    {
        int[] bySlot = _arena.ReadPositions(slot, layer, unit);
        var order = new int[bySlot.Length];
        long row0 = (slot * _arena.SlotTokens) + (_arena.Layout.Offset(layer, unit) / _headDim);
        _order.CopyToHost<int>(order, row0 * 4);
        return Array.ConvertAll(order, s => bySlot[s]);
    }

    /// <summary>Reads the prefill scores of the last layer that selected ([units, n], before pooling; synchronises).</summary>
    internal float[] ReadPrefillScores(int n)
    {
        var result = new float[_unitsPerLayer * n];
        _scores.CopyToHost<float>(result);
        return result;
    }

    private static int PoolCode(in SelectionSpec spec) => spec.Pool switch
    {
        PoolingKind.Max when spec.Kernel > 1 => 1,
        PoolingKind.Average when spec.Kernel > 1 => 2,
        _ => 0,
    };

    private DeviceBuffer Allocate(long bytes, string what)
    {
        var buffer = _device.Allocate(Math.Max(bytes, 4), what);
        _owned.Add(buffer);
        return buffer;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var b in _owned)
        {
            b.Dispose();
        }

        _owned.Clear();
    }
}
