using System.Numerics.Tensors;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;

namespace UNComp.Runtime.Generation;

/// <summary>Decode: one token through every layer against the KV cache.</summary>
public sealed partial class InferenceEngine
{
    /// <summary>
    /// Runs one token at position <see cref="KvCache.NextPosition"/> and writes its logits. In each layer the query
    /// attends over the cached tokens plus the new one; a full unit then evicts the slot the policy names before
    /// the new key/value is appended. Allocates nothing.
    /// </summary>
    public void Decode(int token, KvCache cache, CompressionHooks? hooks, Span<float> logits)
    {
        using var call = EnterCall();
        ArgumentNullException.ThrowIfNull(cache);
        _activePrefill = null;
        hooks ??= CompressionHooks.None;
        CheckCache(cache, hooks);
        int position = cache.NextPosition;
        CheckSlidingWindow(position + 1);
        float eps = (float)_cfg.RmsNormEps;
        var x = _x.AsSpan(0, _hidden);
        var xn = _xn.AsSpan(0, _hidden);
        var q = _q.AsSpan(0, _qDim);
        var k = _k.AsSpan(0, _kvDim);
        var v = _v.AsSpan(0, _kvDim);
        var att = _att.AsSpan(0, _qDim);
        _onePosition[0] = position;
        Embed(token, x);
        for (int layer = 0; layer < _cfg.NumLayers; layer++)
        {
            var w = _model.Layers[layer];
            _backend.RmsNorm(x, w.AttentionNorm, eps, xn, 1, _hidden);
            _backend.MatMul(xn, w.Wq, w.Bq, q, 1, _hidden, _qDim);
            _backend.MatMul(xn, w.Wk, w.Bk, k, 1, _hidden, _kvDim);
            _backend.MatMul(xn, w.Wv, w.Bv, v, 1, _hidden, _kvDim);
            _backend.Rope(q, _onePosition, _heads, _headDim, _invFreq);
            _backend.Rope(k, _onePosition, _kvHeads, _headDim, _invFreq);
            cache.PushQueries(layer, q);
            AttendAndUpdateCache(cache, hooks.Policy, layer, position);
            _backend.MatMul(att, w.Wo, w.Bo, xn, 1, _qDim, _hidden);
            _backend.Add(x, xn, x);
            _backend.RmsNorm(x, w.MlpNorm, eps, xn, 1, _hidden);
            var gate = _gate.AsSpan(0, _ff);
            var up = _up.AsSpan(0, _ff);
            _backend.MatMul(xn, w.WGate, [], gate, 1, _hidden, _ff);
            _backend.MatMul(xn, w.WUp, [], up, 1, _hidden, _ff);
            _backend.SwiGlu(gate, up, gate);
            _backend.MatMul(gate, w.WDown, [], xn, 1, _ff, _hidden);
            _backend.Add(x, xn, x);
        }

        Logits(x, logits);
        cache.NextPosition = position + 1;
    }

    private void AttendAndUpdateCache(KvCache cache, IKvCachePolicy policy, int layer, int position)
    {
        var layout = cache.Layout;
        int d = _headDim;
        int perUnit = layout.QueryHeadsPerUnit;
        int stride = MaxTokens + 1;
        int units = layout.UnitsPerLayer;
        for (int unit = 0; unit < units; unit++)
        {
            int n = cache.Length(layer, unit);
            int firstHead = layout.Granularity == CacheGranularity.KvHead ? unit * perUnit : unit;
            int kvHead = layout.KvHeadOfUnit(unit);
            _backend.DecodeAttention(
                _q.AsSpan(firstHead * d, perUnit * d),
                cache.Keys(layer, unit).Slice(0, n * d),
                cache.Values(layer, unit).Slice(0, n * d),
                _k.AsSpan(kvHead * d, d),
                _v.AsSpan(kvHead * d, d),
                _scores.AsSpan(firstHead * stride, perUnit * (n + 1)),
                _att.AsSpan(firstHead * d, perUnit * d),
                n, perUnit, d, _scale);
        }

        for (int unit = 0; unit < units; unit++)
        {
            int n = cache.Length(layer, unit);
            int capacity = layout.Capacity(layer, unit);
            bool full = n >= capacity;
            int firstHead = layout.Granularity == CacheGranularity.KvHead ? unit * perUnit : unit;
            int kvHead = layout.KvHeadOfUnit(unit);
            var newKey = _k.AsSpan(kvHead * d, d);
            var newValue = _v.AsSpan(kvHead * d, d);
            float newScore = 0;
            if (full || cache.TracksAccumulatedScores)
            {
                var current = _unitScores.AsSpan(0, n + 1);
                var probs = _scores.AsSpan(firstHead * stride, perUnit * (n + 1));
                probs.Slice(0, n + 1).CopyTo(current);
                for (int h = 1; h < perUnit; h++)
                {
                    TensorPrimitives.Add(current, probs.Slice(h * (n + 1), n + 1), current);
                }

                newScore = current[n];
                if (cache.TracksAccumulatedScores)
                {
                    var acc = cache.AccumulatedScores(layer, unit);
                    TensorPrimitives.Add(acc, current.Slice(0, n), acc);
                }

                if (full)
                {
                    int recent = cache.RecentQueryCount(layer);
                    var recentQueries = GatherRecentQueries(cache, layer, firstHead, perUnit, recent);
                    var ctx = new DecodeSelectionContext(layer, unit, capacity, d, perUnit, recent,
                        cache.Positions(layer, unit), cache.Keys(layer, unit).Slice(0, n * d), newKey, position,
                        recentQueries, current, cache.AccumulatedScores(layer, unit));
                    int slot = policy.SelectDecodeEviction(ctx);
                    if ((uint)slot >= (uint)n)
                    {
                        throw new InvalidOperationException($"policy '{policy.Name}' chose slot {slot} to evict in layer {layer}, unit {unit}; it must be in [0, {n}).");
                    }

                    cache.RemoveAt(layer, unit, slot);
                }
            }

            cache.Append(layer, unit, newKey, newValue, position, newScore);
        }
    }

    private ReadOnlySpan<float> GatherRecentQueries(KvCache cache, int layer, int firstHead, int perUnit, int recent)
    {
        int d = _headDim;
        int needed = perUnit * recent * d;
        if (_recentScratch.Length < needed)
        {
            // Sized once for the largest window seen; decode steps after the first never allocate.
            _recentScratch = new float[Math.Max(needed, _heads * Math.Max(1, cache.QueryWindow) * d)];
        }

        for (int h = 0; h < perUnit; h++)
        {
            for (int r = 0; r < recent; r++)
            {
                cache.RecentQuery(layer, firstHead + h, r).CopyTo(_recentScratch.AsSpan(((h * recent) + r) * d, d));
            }
        }

        return _recentScratch.AsSpan(0, needed);
    }
}
