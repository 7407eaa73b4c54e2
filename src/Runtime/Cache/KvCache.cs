using System.Runtime.InteropServices;

namespace UNComp.Runtime.Cache;

/// <summary>
/// A KV cache allocated once from a <see cref="KvCacheLayout"/>: one keys buffer and one values buffer (native,
/// 64-byte aligned), positions, optional accumulated attention scores, and a ring of the last
/// <see cref="QueryWindow"/> post-RoPE query vectors per query head (so a decode-time policy can re-score).
/// Keys are stored after RoPE. Each unit holds up to its capacity of tokens in slots 0..Length-1 whose absolute
/// positions are strictly increasing. Nothing here allocates after construction.
/// </summary>
public sealed unsafe class KvCache : IDisposable
{
    private readonly float* _keys;
    private readonly float* _values;
    private readonly int[] _length;
    private readonly long[] _slotOffset;
    private readonly int[] _positions;
    private readonly float[] _scores;
    private readonly float[] _recentQueries;
    private readonly int[] _recentCount;
    private readonly int[] _recentNext;
    private readonly int _numQueryHeads;
    private readonly long _nativeBytes;
    private static long s_nativeBytesInUse;
    private bool _disposed;

    /// <summary>Allocates a cache.</summary>
    /// <param name="layout">Capacities per (layer, unit).</param>
    /// <param name="queryWindow">How many recent post-RoPE queries to keep per query head (0 = none).</param>
    /// <param name="trackAccumulatedScores">Keep an accumulated attention score per cached token (H2O-style).</param>
    public KvCache(KvCacheLayout layout, int queryWindow = 0, bool trackAccumulatedScores = false)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfNegative(queryWindow);
        Layout = layout;
        QueryWindow = queryWindow;
        TracksAccumulatedScores = trackAccumulatedScores;
        int unitCount = layout.Layers * layout.UnitsPerLayer;
        _length = new int[unitCount];
        _slotOffset = new long[unitCount + 1];
        for (int i = 0; i < unitCount; i++)
        {
            _slotOffset[i + 1] = _slotOffset[i] + layout.Capacity(i / layout.UnitsPerLayer, i % layout.UnitsPerLayer);
        }

        if (_slotOffset[^1] > Array.MaxLength)
        {
            throw new ArgumentException($"the layout holds {_slotOffset[^1]} tokens; at most {Array.MaxLength} are supported.", nameof(layout));
        }

        _positions = new int[_slotOffset[^1]];
        _scores = trackAccumulatedScores ? new float[_slotOffset[^1]] : [];
        _numQueryHeads = layout.Granularity == CacheGranularity.KvHead ? layout.UnitsPerLayer * layout.QueryHeadsPerUnit : layout.UnitsPerLayer;
        _recentQueries = new float[(long)layout.Layers * _numQueryHeads * queryWindow * layout.HeadDim];
        _recentCount = new int[layout.Layers];
        _recentNext = new int[layout.Layers];
        nuint bytes = (nuint)Math.Max(1, layout.ElementsPerBuffer) * sizeof(float);
        _keys = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        _values = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        _nativeBytes = 2 * (long)bytes;
        Interlocked.Add(ref s_nativeBytesInUse, _nativeBytes);
        NativeMemory.Clear(_keys, bytes);
        NativeMemory.Clear(_values, bytes);
    }

    /// <summary>
    /// Native bytes held by every live KV cache of the process (keys and values), for leak checks and monitoring:
    /// it returns to its earlier value once the caches created since are disposed.
    /// </summary>
    public static long NativeBytesInUse => Interlocked.Read(ref s_nativeBytesInUse);

    /// <summary>Whether <see cref="Dispose"/> has freed the native buffers.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>The layout this cache was allocated from.</summary>
    public KvCacheLayout Layout { get; }

    /// <summary>Recent queries kept per query head.</summary>
    public int QueryWindow { get; }

    /// <summary>Whether accumulated scores are kept.</summary>
    public bool TracksAccumulatedScores { get; }

    /// <summary>Query heads of the model (the recent-query ring has one row per query head).</summary>
    public int NumQueryHeads => _numQueryHeads;

    /// <summary>Absolute position the next appended token gets (prompt length after prefill, then +1 per decode).</summary>
    public int NextPosition { get; set; }

    /// <summary>Bytes allocated for keys and values (Σ capacity × headDim × 2 × 4).</summary>
    public long Bytes => Layout.Bytes;

    /// <summary>Bytes of keys and values currently holding tokens (Σ length × headDim × 2 × 4).</summary>
    public long BytesInUse
    {
        get
        {
            long tokens = 0;
            foreach (int n in _length)
            {
                tokens += n;
            }

            return tokens * Layout.HeadDim * 2 * sizeof(float);
        }
    }

    /// <summary>Tokens held by one unit.</summary>
    public int Length(int layer, int unit) => _length[Layout.Index(layer, unit)];

    /// <summary>Capacity of one unit.</summary>
    public int Capacity(int layer, int unit) => Layout.Capacity(layer, unit);

    /// <summary>The unit's key storage: capacity × headDim floats, slot-major (valid rows: 0..Length-1).</summary>
    public Span<float> Keys(int layer, int unit)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Span<float>(_keys + Layout.Offset(layer, unit), Layout.Capacity(layer, unit) * Layout.HeadDim);
    }

    /// <summary>The unit's value storage: capacity × headDim floats, slot-major.</summary>
    public Span<float> Values(int layer, int unit)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Span<float>(_values + Layout.Offset(layer, unit), Layout.Capacity(layer, unit) * Layout.HeadDim);
    }

    /// <summary>Absolute RoPE positions of the unit's cached tokens (strictly increasing), length = Length.</summary>
    public ReadOnlySpan<int> Positions(int layer, int unit)
    {
        int i = Layout.Index(layer, unit);
        return _positions.AsSpan((int)_slotOffset[i], _length[i]);
    }

    /// <summary>Accumulated attention per cached token (empty unless <see cref="TracksAccumulatedScores"/>).</summary>
    public Span<float> AccumulatedScores(int layer, int unit)
    {
        int i = Layout.Index(layer, unit);
        return TracksAccumulatedScores ? _scores.AsSpan((int)_slotOffset[i], _length[i]) : [];
    }

    /// <summary>Appends one token to a unit.</summary>
    /// <exception cref="InvalidOperationException">The unit is full, or the position does not increase.</exception>
    public void Append(int layer, int unit, ReadOnlySpan<float> key, ReadOnlySpan<float> value, int position, float accumulatedScore = 0)
    {
        int i = Layout.Index(layer, unit);
        int d = Layout.HeadDim;
        if (key.Length != d || value.Length != d)
        {
            throw new ArgumentException($"key and value must have {d} elements.", nameof(key));
        }

        int n = _length[i];
        int cap = Layout.Capacity(layer, unit);
        if (n >= cap)
        {
            throw new InvalidOperationException($"KV cache unit (layer {layer}, unit {unit}) is full ({cap} tokens); evict or compact before appending.");
        }

        int slot0 = (int)_slotOffset[i];
        if (n > 0 && _positions[slot0 + n - 1] >= position)
        {
            throw new InvalidOperationException($"position {position} must be greater than the last cached position {_positions[slot0 + n - 1]} (layer {layer}, unit {unit}).");
        }

        long off = Layout.Offset(layer, unit) + ((long)n * d);
        key.CopyTo(new Span<float>(_keys + off, d));
        value.CopyTo(new Span<float>(_values + off, d));
        _positions[slot0 + n] = position;
        if (TracksAccumulatedScores)
        {
            _scores[slot0 + n] = accumulatedScore;
        }

        _length[i] = n + 1;
    }

    /// <summary>
    /// Keeps only <paramref name="keepSlots"/> (strictly increasing, each in [0, Length)), moving them to slots
    /// 0..k-1 in place. Keys, values, positions and accumulated scores move together; nothing is allocated.
    /// </summary>
    public void Compact(int layer, int unit, ReadOnlySpan<int> keepSlots)
    {
        int i = Layout.Index(layer, unit);
        int n = _length[i];
        int prev = -1;
        foreach (int s in keepSlots)
        {
            if (s <= prev || s >= n)
            {
                throw new ArgumentException($"keep slots must be strictly increasing and in [0, {n}); found {s} after {prev} (layer {layer}, unit {unit}).", nameof(keepSlots));
            }

            prev = s;
        }

        int d = Layout.HeadDim;
        long baseOff = Layout.Offset(layer, unit);
        int slot0 = (int)_slotOffset[i];
        for (int k = 0; k < keepSlots.Length; k++)
        {
            int s = keepSlots[k];
            if (s == k)
            {
                continue;
            }

            new ReadOnlySpan<float>(_keys + baseOff + ((long)s * d), d).CopyTo(new Span<float>(_keys + baseOff + ((long)k * d), d));
            new ReadOnlySpan<float>(_values + baseOff + ((long)s * d), d).CopyTo(new Span<float>(_values + baseOff + ((long)k * d), d));
            _positions[slot0 + k] = _positions[slot0 + s];
            if (TracksAccumulatedScores)
            {
                _scores[slot0 + k] = _scores[slot0 + s];
            }
        }

        _length[i] = keepSlots.Length;
    }

    /// <summary>Removes one slot, shifting the later ones down (order and positions preserved).</summary>
    public void RemoveAt(int layer, int unit, int slot)
    {
        int i = Layout.Index(layer, unit);
        int n = _length[i];
        if ((uint)slot >= (uint)n)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"slot must be in [0, {n}).");
        }

        int d = Layout.HeadDim;
        long baseOff = Layout.Offset(layer, unit);
        int count = n - slot - 1;
        if (count > 0)
        {
            new ReadOnlySpan<float>(_keys + baseOff + ((long)(slot + 1) * d), count * d).CopyTo(new Span<float>(_keys + baseOff + ((long)slot * d), count * d));
            new ReadOnlySpan<float>(_values + baseOff + ((long)(slot + 1) * d), count * d).CopyTo(new Span<float>(_values + baseOff + ((long)slot * d), count * d));
            int slot0 = (int)_slotOffset[i];
            _positions.AsSpan(slot0 + slot + 1, count).CopyTo(_positions.AsSpan(slot0 + slot));
            if (TracksAccumulatedScores)
            {
                _scores.AsSpan(slot0 + slot + 1, count).CopyTo(_scores.AsSpan(slot0 + slot));
            }
        }

        _length[i] = n - 1;
    }

    /// <summary>
    /// Sets a unit's contents in one go (used by prefill): the first positions.Length rows of Keys/Values
    /// must already be written by the caller; this records their positions (strictly increasing) and length.
    /// </summary>
    public void Commit(int layer, int unit, ReadOnlySpan<int> positions, ReadOnlySpan<float> accumulatedScores = default)
    {
        int i = Layout.Index(layer, unit);
        int cap = Layout.Capacity(layer, unit);
        if (positions.Length > cap)
        {
            throw new InvalidOperationException($"{positions.Length} tokens exceed the capacity {cap} of layer {layer}, unit {unit}.");
        }

        for (int k = 1; k < positions.Length; k++)
        {
            if (positions[k] <= positions[k - 1])
            {
                throw new ArgumentException("positions must be strictly increasing.", nameof(positions));
            }
        }

        int slot0 = (int)_slotOffset[i];
        positions.CopyTo(_positions.AsSpan(slot0));
        if (TracksAccumulatedScores)
        {
            var dst = _scores.AsSpan(slot0, positions.Length);
            if (accumulatedScores.Length == positions.Length)
            {
                accumulatedScores.CopyTo(dst);
            }
            else
            {
                dst.Clear();
            }
        }

        _length[i] = positions.Length;
    }

    /// <summary>Recent queries held for a layer (≤ <see cref="QueryWindow"/>; the same for every head).</summary>
    public int RecentQueryCount(int layer) => _recentCount[layer];

    /// <summary>The <paramref name="index"/>-th recent post-RoPE query of a query head, 0 = oldest.</summary>
    public ReadOnlySpan<float> RecentQuery(int layer, int queryHead, int index)
    {
        int count = _recentCount[layer];
        if ((uint)index >= (uint)count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"index must be in [0, {count}).");
        }

        int ring = (_recentNext[layer] - count + index + QueryWindow) % QueryWindow;
        return _recentQueries.AsSpan(RecentOffset(layer, queryHead, ring), Layout.HeadDim);
    }

    /// <summary>Pushes one token's post-RoPE queries for all heads ([heads × headDim]) into a layer's ring.</summary>
    public void PushQueries(int layer, ReadOnlySpan<float> queries)
    {
        if (QueryWindow == 0)
        {
            return;
        }

        int d = Layout.HeadDim;
        int slot = _recentNext[layer];
        for (int h = 0; h < _numQueryHeads; h++)
        {
            queries.Slice(h * d, d).CopyTo(_recentQueries.AsSpan(RecentOffset(layer, h, slot), d));
        }

        _recentNext[layer] = (slot + 1) % QueryWindow;
        _recentCount[layer] = Math.Min(QueryWindow, _recentCount[layer] + 1);
    }

    private int RecentOffset(int layer, int queryHead, int ring) =>
        ((((layer * _numQueryHeads) + queryHead) * QueryWindow) + ring) * Layout.HeadDim;

    /// <summary>Empties every unit and the query rings; keeps the allocation.</summary>
    public void Clear()
    {
        Array.Clear(_length);
        Array.Clear(_recentCount);
        Array.Clear(_recentNext);
        NextPosition = 0;
    }

    /// <summary>Frees the native buffers if <see cref="Dispose"/> was not called.</summary>
    ~KvCache() => Free();

    /// <inheritdoc />
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMemory.AlignedFree(_keys);
        NativeMemory.AlignedFree(_values);
        Interlocked.Add(ref s_nativeBytesInUse, -_nativeBytes);
    }
}
