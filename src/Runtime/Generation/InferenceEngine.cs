using System.Numerics.Tensors;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Compute;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Generation;

/// <summary>
/// The Llama-family forward pass, llama2.c style: every buffer is allocated once here, sized from the config and
/// <see cref="MaxTokens"/>; prefill runs layer by layer (public, so generated code can unroll it) with exact
/// attention over all surviving tokens, and only the KV cache is compressed (through <see cref="CompressionHooks"/>);
/// decode runs one token against the cache and allocates nothing.
/// </summary>
/// <remarks>
/// Not thread-safe: one engine per session (its activations live in its own buffers). Overlapping calls from two
/// threads, and a prefill interrupted by another prefill or a decode, are detected and refused with
/// <see cref="InvalidOperationException"/> rather than mixing two sequences' activations.
/// </remarks>
public sealed partial class InferenceEngine
{
    // MLP activations are computed for at most this many floats per buffer (gate and up) at a time: the whole
    // prompt in one GEMM for small models, a few hundred tokens per pass for large ones.
    private const int MlpChunkFloats = 1 << 22;

    private readonly LlamaModel _model;
    private readonly ModelConfig _cfg;
    private readonly IComputeBackend _backend;
    private readonly float[] _invFreq;
    private readonly float _scale;
    private readonly int _hidden, _heads, _kvHeads, _headDim, _qDim, _kvDim, _ff;

    // Activations [tokens × width].
    private readonly float[] _x, _xn, _q, _k, _v, _att, _gate, _up;
    private float[] _qPreRope = [];

    // Attention statistics [heads × tokens] and the decode probabilities [heads × (tokens + 1)].
    private readonly float[] _scores, _sumA, _sumB, _sumC;

    // Per-token bookkeeping [tokens].
    private readonly int[] _positions, _keep, _unitPositions;
    private readonly float[] _pruneScores, _unitScores, _unitColumns, _unitAccumulated;
    private readonly int[] _onePosition = new int[1];
    private float[] _recentScratch = [];

    // Concurrent-use guard: 1 while a call runs; the prefill whose activations the buffers hold.
    private int _busy;
    private PrefillState? _activePrefill;

    /// <summary>Creates an engine for prompts plus generated tokens of at most <paramref name="maxTokens"/>.</summary>
    /// <param name="model">The loaded model.</param>
    /// <param name="maxTokens">Longest sequence (prompt + new tokens) and largest cache unit capacity supported.</param>
    /// <param name="backend">Compute backend; default <see cref="CpuBackend.Shared"/>.</param>
    public InferenceEngine(LlamaModel model, int maxTokens, IComputeBackend? backend = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        if (maxTokens > model.Config.MaxPositionEmbeddings)
        {
            // Also the guard against absurd budgets: every buffer below is sized by maxTokens.
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens,
                $"an engine for {maxTokens} tokens exceeds the model's context of {model.Config.MaxPositionEmbeddings} (max_position_embeddings in config.json); no sequence or cache unit can use more.");
        }

        _model = model;
        _cfg = model.Config;
        _backend = backend ?? CpuBackend.Shared;
        MaxTokens = maxTokens;
        _hidden = _cfg.HiddenSize;
        _heads = _cfg.NumAttentionHeads;
        _kvHeads = _cfg.NumKeyValueHeads;
        _headDim = _cfg.HeadDim;
        _qDim = _heads * _headDim;
        _kvDim = _kvHeads * _headDim;
        _ff = _cfg.IntermediateSize;
        _invFreq = RotaryEmbedding.InverseFrequencies(_cfg);
        _scale = 1f / MathF.Sqrt(_headDim);

        int t = maxTokens;
        _x = new float[(long)t * _hidden];
        _xn = new float[(long)t * _hidden];
        _q = new float[(long)t * _qDim];
        _k = new float[(long)t * _kvDim];
        _v = new float[(long)t * _kvDim];
        _att = new float[(long)t * _qDim];
        int chunk = MlpChunkTokens(t);
        _gate = new float[(long)chunk * _ff];
        _up = new float[(long)chunk * _ff];
        _scores = new float[(long)_heads * (t + 1)];
        _sumA = new float[(long)_heads * t];
        _sumB = new float[(long)_heads * t];
        _sumC = new float[(long)_heads * t];
        _positions = new int[t];
        _keep = new int[t];
        _unitPositions = new int[t];
        _pruneScores = new float[t];
        _unitScores = new float[t + 1];
        _unitColumns = new float[t];
        _unitAccumulated = new float[t];
    }

    /// <summary>The model.</summary>
    public LlamaModel Model => _model;

    private int MlpChunkTokens(int maxTokens) => Math.Min(Math.Max(64, MlpChunkFloats / _ff), maxTokens);

    /// <summary>The model's config.</summary>
    public ModelConfig Config => _cfg;

    /// <summary>The compute backend.</summary>
    public IComputeBackend Backend => _backend;

    /// <summary>Longest sequence this engine's buffers hold.</summary>
    public int MaxTokens { get; }

    /// <summary>Bytes of the engine's scratch buffers (the model's weights and the KV cache not included).</summary>
    public long ScratchBytes =>
        4L * (_x.Length + _xn.Length + _q.Length + _k.Length + _v.Length + _att.Length + _gate.Length + _up.Length
            + _scores.Length + _sumA.Length + _sumB.Length + _sumC.Length + _pruneScores.Length + _unitScores.Length
            + _unitColumns.Length + _unitAccumulated.Length + _positions.Length + _keep.Length + _unitPositions.Length);

    /// <summary>A cache for <paramref name="layout"/> with the query window and score tracking the hooks' policy needs.</summary>
    public static KvCache CreateCache(KvCacheLayout layout, CompressionHooks? hooks = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var request = (hooks ?? CompressionHooks.None).Policy.Request;
        return new KvCache(layout, request.ObservationWindow, request.KeepAccumulatedScoresDuringDecode);
    }

    /// <summary>An uncompressed cache holding <see cref="MaxTokens"/> tokens per unit.</summary>
    public KvCache CreateFullCache(CacheGranularity granularity = CacheGranularity.KvHead) =>
        new(KvCacheLayout.Full(_cfg, MaxTokens, granularity));

    /// <summary>Prefills a prompt through every layer and writes the last token's logits.</summary>
    /// <param name="tokens">Prompt token ids.</param>
    /// <param name="cache">The cache to fill (cleared first).</param>
    /// <param name="hooks">Compression hooks, or null for the full cache.</param>
    /// <param name="logits">Receives vocab_size logits of the last token.</param>
    /// <param name="layersDone">Reports the number of layers finished.</param>
    /// <param name="cancellationToken">Checked between layers.</param>
    public void Prefill(ReadOnlySpan<int> tokens, KvCache cache, CompressionHooks? hooks, Span<float> logits,
        IProgress<int>? layersDone = null, CancellationToken cancellationToken = default)
    {
        var state = BeginPrefill(tokens, cache, hooks);
        for (int layer = 0; layer < _cfg.NumLayers; layer++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RunPrefillLayer(state, layer);
            layersDone?.Report(layer + 1);
        }

        FinishPrefill(state, logits);
    }

    /// <summary>Starts a prefill: clears the cache, embeds the tokens at positions 0..n-1.</summary>
    /// <exception cref="ArgumentException">Empty prompt, too long, or a token id outside the vocabulary.</exception>
    public PrefillState BeginPrefill(ReadOnlySpan<int> tokens, KvCache cache, CompressionHooks? hooks = null)
    {
        using var call = EnterCall();
        ArgumentNullException.ThrowIfNull(cache);
        hooks ??= CompressionHooks.None;
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("the prompt is empty; prefill needs at least one token.", nameof(tokens));
        }

        if (tokens.Length > MaxTokens)
        {
            throw new ArgumentException($"the prompt has {tokens.Length} tokens; this engine was created for at most {MaxTokens}.", nameof(tokens));
        }

        CheckCache(cache, hooks);
        CheckSlidingWindow(tokens.Length);
        cache.Clear();
        for (int i = 0; i < tokens.Length; i++)
        {
            Embed(tokens[i], _x.AsSpan(i * _hidden, _hidden));
            _positions[i] = i;
        }

        _activePrefill = new PrefillState(this, cache, hooks, tokens.Length);
        return _activePrefill;
    }

    /// <summary>Writes the logits of the last surviving token after every layer has run.</summary>
    public void FinishPrefill(PrefillState state, Span<float> logits)
    {
        using var call = EnterCall();
        ArgumentNullException.ThrowIfNull(state);
        CheckActive(state);
        if (state.NextLayer != _cfg.NumLayers || state.IsFinished)
        {
            throw new InvalidOperationException($"FinishPrefill needs all {_cfg.NumLayers} layers run exactly once; {state.NextLayer} have run.");
        }

        int last = state.Tokens - 1;
        Logits(_x.AsSpan(last * _hidden, _hidden), logits);
        state.Cache.NextPosition = state.PromptLength;
        state.IsFinished = true;
    }

    /// <summary>
    /// Logits of any surviving token after every layer has run (before or after <see cref="FinishPrefill"/>, and
    /// before the next engine call): lets parity checks read every prompt position from one prefill.
    /// </summary>
    /// <param name="state">A prefill whose layers have all run.</param>
    /// <param name="tokenIndex">Row in [0, <see cref="PrefillState.Tokens"/>) (the prompt index when nothing was pruned).</param>
    /// <param name="logits">Receives vocab_size logits.</param>
    public void ComputeLogits(PrefillState state, int tokenIndex, Span<float> logits)
    {
        using var call = EnterCall();
        ArgumentNullException.ThrowIfNull(state);
        CheckActive(state);
        if (state.NextLayer != _cfg.NumLayers)
        {
            throw new InvalidOperationException($"ComputeLogits needs all {_cfg.NumLayers} layers run; {state.NextLayer} have run.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(tokenIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(tokenIndex, state.Tokens);
        Logits(_x.AsSpan(tokenIndex * _hidden, _hidden), logits);
    }

    private CallGuard EnterCall()
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            throw new InvalidOperationException("this InferenceEngine is already running a call on another thread; an engine is not thread-safe: use one engine (or Generator) per thread.");
        }

        return new CallGuard(this);
    }

    private void CheckActive(PrefillState state)
    {
        if (!ReferenceEquals(state, _activePrefill))
        {
            throw new InvalidOperationException("this prefill's activations were overwritten by a later BeginPrefill or Decode on the same engine (interleaved or concurrent use); start the prefill again.");
        }
    }

    /// <summary>Releases the concurrent-use guard at the end of a call.</summary>
    private readonly struct CallGuard(InferenceEngine engine) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref engine._busy, 0);
    }

    private void Logits(ReadOnlySpan<float> hiddenRow, Span<float> logits)
    {
        if (logits.Length != _cfg.VocabSize)
        {
            throw new ArgumentException($"logits must have vocab_size = {_cfg.VocabSize} elements, got {logits.Length}.", nameof(logits));
        }

        var normed = _xn.AsSpan(0, _hidden);
        _backend.RmsNorm(hiddenRow, _model.FinalNorm, (float)_cfg.RmsNormEps, normed, 1, _hidden);
        _backend.MatMul(normed, _model.LmHead, [], logits, 1, _hidden, _cfg.VocabSize);
    }

    private void Embed(int token, Span<float> destination)
    {
        if ((uint)token >= (uint)_cfg.VocabSize)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token id must be in [0, {_cfg.VocabSize}).");
        }

        _model.Embedding.AsSpan(token * _hidden, _hidden).CopyTo(destination);
    }

    private void CheckCache(KvCache cache, CompressionHooks hooks)
    {
        var layout = cache.Layout;
        int units = KvCacheLayout.UnitsOf(_cfg, layout.Granularity);
        if (layout.Layers != _cfg.NumLayers || layout.UnitsPerLayer != units || layout.HeadDim != _headDim)
        {
            throw new ArgumentException($"the cache layout ({layout.Layers} layers × {layout.UnitsPerLayer} units × head dim {layout.HeadDim}) does not match the model ({_cfg.NumLayers} × {units} × {_headDim}).", nameof(cache));
        }

        if (layout.MaxCapacity > MaxTokens)
        {
            throw new ArgumentException($"a cache unit holds {layout.MaxCapacity} tokens but the engine was created for {MaxTokens}; create the engine with maxTokens ≥ the largest capacity.", nameof(cache));
        }

        if (hooks.Policy.Request.KeepAccumulatedScoresDuringDecode && !cache.TracksAccumulatedScores)
        {
            throw new ArgumentException($"policy '{hooks.Policy.Name}' needs accumulated scores; create the cache with InferenceEngine.CreateCache(layout, hooks).", nameof(cache));
        }
    }

    private void CheckSlidingWindow(int tokens)
    {
        if (_cfg.SlidingWindow is int window && tokens > window)
        {
            throw new NotSupportedException($"{tokens} tokens exceed the model's sliding_window ({window}); sliding-window attention is not implemented, keep prompt + new tokens ≤ {window}.");
        }
    }

    private static void CheckSelection(ReadOnlySpan<int> keep, int length, string who)
    {
        int prev = -1;
        foreach (int i in keep)
        {
            if (i <= prev || i >= length)
            {
                throw new InvalidOperationException($"{who} returned index {i} after {prev}; indices must be strictly increasing and in [0, {length}).");
            }

            prev = i;
        }
    }
}
