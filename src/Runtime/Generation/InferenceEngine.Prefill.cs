using System.Numerics.Tensors;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Compute;

namespace UNComp.Runtime.Generation;

/// <summary>Prefill: one decoder layer over every surviving prompt token.</summary>
public sealed partial class InferenceEngine
{
    /// <summary>
    /// Runs decoder layer <paramref name="layer"/> (which must be <see cref="PrefillState.NextLayer"/>): optional
    /// hidden-state pruning, attention with the statistics the hooks need, the cache write (compressed by the
    /// policy where tokens exceed a unit's capacity), and the MLP.
    /// </summary>
    public void RunPrefillLayer(PrefillState state, int layer)
    {
        using var call = EnterCall();
        ArgumentNullException.ThrowIfNull(state);
        if (!ReferenceEquals(state.Engine, this) || state.IsFinished || state.NextLayer != layer)
        {
            throw new InvalidOperationException($"RunPrefillLayer({layer}) out of order: the prefill expects layer {state.NextLayer} of this engine.");
        }

        CheckActive(state);

        var hooks = state.Hooks;
        var w = _model.Layers[layer];
        float eps = (float)_cfg.RmsNormEps;
        if (layer > 0 && hooks.Pruner is { } pruner)
        {
            PruneHiddenStates(state, pruner, layer);
        }

        int n = state.Tokens;
        var positions = _positions.AsSpan(0, n);
        var x = _x.AsSpan(0, n * _hidden);
        var xn = _xn.AsSpan(0, n * _hidden);
        var q = _q.AsSpan(0, n * _qDim);
        var k = _k.AsSpan(0, n * _kvDim);
        var v = _v.AsSpan(0, n * _kvDim);
        var att = _att.AsSpan(0, n * _qDim);

        _backend.RmsNorm(x, w.AttentionNorm, eps, xn, n, _hidden);
        _backend.MatMul(xn, w.Wq, w.Bq, q, n, _hidden, _qDim);
        _backend.MatMul(xn, w.Wk, w.Bk, k, n, _hidden, _kvDim);
        _backend.MatMul(xn, w.Wv, w.Bv, v, n, _hidden, _kvDim);
        Span<float> qPre = default;
        if (hooks.Observer is { WantsPreRope: true })
        {
            if (_qPreRope.Length < _q.Length)
            {
                _qPreRope = new float[_q.Length];
            }

            qPre = _qPreRope.AsSpan(0, n * _qDim);
            q.CopyTo(qPre);
        }

        _backend.Rope(q, positions, _heads, _headDim, _invFreq);
        _backend.Rope(k, positions, _kvHeads, _headDim, _invFreq);
        hooks.Observer?.OnLayer(new LayerActivations(layer, n, _heads, _kvHeads, _headDim, positions, q, qPre, k, v));

        var request = hooks.Policy.Request;
        bool columns = request.NeedColumnSumsAllQueries || request.KeepAccumulatedScoresDuringDecode;
        int pruneWindow = 0;
        if (hooks.Pruner is { } next && layer + 1 < _cfg.NumLayers && next.KeepTokens(layer + 1) < n)
        {
            pruneWindow = Math.Max(1, next.ObservationWindow);
        }

        _backend.CausalAttention(new CausalAttentionArgs
        {
            Q = q, K = k, V = v, Output = att, Scratch = _scores,
            Tokens = n, Heads = _heads, KvHeads = _kvHeads, HeadDim = _headDim, Scale = _scale,
            WindowA = request.ObservationWindow,
            WindowSumsA = request.ObservationWindow > 0 ? _sumA.AsSpan(0, _heads * n) : default,
            WindowB = pruneWindow,
            WindowSumsB = pruneWindow > 0 ? _sumB.AsSpan(0, _heads * n) : default,
            ColumnSums = columns ? _sumC.AsSpan(0, _heads * n) : default,
        });

        state.HasPruneScores = pruneWindow > 0;
        if (pruneWindow > 0)
        {
            var sums = _pruneScores.AsSpan(0, n);
            _sumB.AsSpan(0, n).CopyTo(sums);
            for (int h = 1; h < _heads; h++)
            {
                TensorPrimitives.Add(sums, _sumB.AsSpan(h * n, n), sums);
            }
        }

        WritePrefillCache(state, layer, n, request, columns);

        // Output projection and residual, then the SwiGLU MLP in token chunks.
        _backend.MatMul(att, w.Wo, w.Bo, xn, n, _qDim, _hidden);
        _backend.Add(x, xn, x);
        _backend.RmsNorm(x, w.MlpNorm, eps, xn, n, _hidden);
        int chunk = MlpChunkTokens(MaxTokens);
        for (int t0 = 0; t0 < n; t0 += chunk)
        {
            int rows = Math.Min(chunk, n - t0);
            var xin = xn.Slice(t0 * _hidden, rows * _hidden);
            var gate = _gate.AsSpan(0, rows * _ff);
            var up = _up.AsSpan(0, rows * _ff);
            _backend.MatMul(xin, w.WGate, [], gate, rows, _hidden, _ff);
            _backend.MatMul(xin, w.WUp, [], up, rows, _hidden, _ff);
            _backend.SwiGlu(gate, up, gate);
            _backend.MatMul(gate, w.WDown, [], xin, rows, _ff, _hidden);
        }

        _backend.Add(x, xn, x);
        state.NextLayer = layer + 1;
    }

    private void PruneHiddenStates(PrefillState state, IHiddenStatePruner pruner, int layer)
    {
        int n = state.Tokens;
        int keepTokens = pruner.KeepTokens(layer);
        if (keepTokens >= n)
        {
            return;
        }

        if (keepTokens < 1)
        {
            throw new InvalidOperationException($"hidden-state pruner asked layer {layer} to keep {keepTokens} tokens; at least 1 is needed.");
        }

        if (!state.HasPruneScores)
        {
            throw new InvalidOperationException($"hidden-state pruner scores for layer {layer} are missing (KeepTokens changed between layers).");
        }

        var keep = _keep.AsSpan(0, keepTokens);
        var ctx = new PruneContext(layer, keepTokens, Math.Min(pruner.ObservationWindow, n), _positions.AsSpan(0, n), _pruneScores.AsSpan(0, n));
        pruner.Select(ctx, keep);
        CheckSelection(keep, n, "hidden-state pruner");

        // keep[i] >= i, so gathering forward in place never overwrites a row still to be read.
        for (int i = 0; i < keepTokens; i++)
        {
            int src = keep[i];
            if (src != i)
            {
                _x.AsSpan(src * _hidden, _hidden).CopyTo(_x.AsSpan(i * _hidden, _hidden));
                _positions[i] = _positions[src];
            }
        }

        state.Tokens = keepTokens;
    }

    private void WritePrefillCache(PrefillState state, int layer, int n, AttentionStatsRequest request, bool columns)
    {
        var cache = state.Cache;
        var layout = cache.Layout;
        var policy = state.Hooks.Policy;
        int d = _headDim;
        int perUnit = layout.QueryHeadsPerUnit;
        for (int unit = 0; unit < layout.UnitsPerLayer; unit++)
        {
            int kvHead = layout.KvHeadOfUnit(unit);
            int firstHead = layout.Granularity == Cache.CacheGranularity.KvHead ? unit * perUnit : unit;
            int capacity = Math.Clamp(policy.PrefillKeep(layer, unit, layout.Capacity(layer, unit)), 1, layout.Capacity(layer, unit));
            int kept = Math.Min(n, capacity);
            var keep = _keep.AsSpan(0, kept);
            var unitColumns = _unitColumns.AsSpan(0, columns ? n : 0);
            if (columns)
            {
                SumHeads(_sumC, firstHead, perUnit, n, unitColumns);
            }

            if (n <= capacity)
            {
                for (int i = 0; i < n; i++)
                {
                    keep[i] = i;
                }
            }
            else
            {
                var windowScores = _unitScores.AsSpan(0, request.ObservationWindow > 0 ? n : 0);
                if (request.ObservationWindow > 0)
                {
                    SumHeads(_sumA, firstHead, perUnit, n, windowScores);
                }

                var ctx = new PrefillSelectionContext(layer, unit, capacity, perUnit, request.ObservationWindow,
                    _positions.AsSpan(0, n), windowScores, unitColumns, _k.AsSpan(0, n * _kvDim), kvHead, _kvHeads, d);
                policy.SelectPrefill(ctx, keep);
                CheckSelection(keep, n, $"policy '{policy.Name}' (layer {layer}, unit {unit})");
            }

            var keys = cache.Keys(layer, unit);
            var values = cache.Values(layer, unit);
            var keptPositions = _unitPositions.AsSpan(0, kept);
            var keptScores = _unitAccumulated.AsSpan(0, columns ? kept : 0);
            for (int s = 0; s < kept; s++)
            {
                int t = keep[s];
                _k.AsSpan(((t * _kvHeads) + kvHead) * d, d).CopyTo(keys.Slice(s * d, d));
                _v.AsSpan(((t * _kvHeads) + kvHead) * d, d).CopyTo(values.Slice(s * d, d));
                keptPositions[s] = _positions[t];
                if (columns)
                {
                    keptScores[s] = unitColumns[t];
                }
            }

            cache.Commit(layer, unit, keptPositions, keptScores);
        }

        if (cache.QueryWindow > 0)
        {
            for (int t = Math.Max(0, n - cache.QueryWindow); t < n; t++)
            {
                cache.PushQueries(layer, _q.AsSpan(t * _qDim, _qDim));
            }
        }
    }

    private static void SumHeads(float[] perHead, int firstHead, int count, int n, Span<float> destination)
    {
        perHead.AsSpan(firstHead * n, n).CopyTo(destination);
        for (int h = firstHead + 1; h < firstHead + count; h++)
        {
            TensorPrimitives.Add(destination, perHead.AsSpan(h * n, n), destination);
        }
    }
}
