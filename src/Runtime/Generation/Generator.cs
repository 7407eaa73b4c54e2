using System.Diagnostics;
using System.Runtime.CompilerServices;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Gpu;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Generation;

/// <summary>
/// Token-level generation loop (ONNX Runtime GenAI style): <see cref="AppendTokens"/> feeds the prompt (prefill)
/// or further tokens (decode), <see cref="GenerateNextToken"/> samples one token, <see cref="IsDone"/> turns
/// true on an eos id or <see cref="GeneratorParams.MaxNewTokens"/>. Owns its engine buffers and KV cache. Runs on the
/// CPU (<see cref="Generator(LlamaModel, GeneratorParams)"/>) or on a GPU (<see cref="Generator(CudaModel, GeneratorParams)"/>);
/// sampling happens on the host from the same logits either way, so a seed gives the same choices on both.
/// </summary>
public sealed class Generator : IDisposable
{
    private readonly InferenceEngine? _engine;
    private readonly KvCache? _cache;
    private readonly CudaEngine? _cuda;
    private readonly KvCacheLayout _layout;
    private readonly GeneratorParams _params;
    private readonly TokenSampler _sampler;
    private readonly float[] _logits;
    private readonly HashSet<int> _eos;
    private readonly List<int> _sequence = [];
    private int? _pending;
    private bool _hasLogits;

    /// <summary>Creates a generator (allocates the engine buffers and the cache).</summary>
    public Generator(LlamaModel model, GeneratorParams generatorParams)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(generatorParams);
        _params = generatorParams;
        ArgumentOutOfRangeException.ThrowIfNegative(generatorParams.MaxNewTokens);
        var config = model.Config;
        int maxLength = generatorParams.MaxLength ?? Math.Min(config.MaxPositionEmbeddings, 4096);
        var layout = generatorParams.CacheLayout ?? KvCacheLayout.Full(config, maxLength, generatorParams.Granularity);
        _engine = new InferenceEngine(model, Math.Max(maxLength, layout.MaxCapacity), generatorParams.Backend);
        _cache = InferenceEngine.CreateCache(layout, generatorParams.Hooks);
        _layout = layout;
        _sampler = new TokenSampler(generatorParams.Sampling, config.VocabSize);
        _logits = new float[config.VocabSize];
        _eos = [.. generatorParams.EosTokenIds ?? model.GenerationConfig.EosTokenIds];
        MaxLength = maxLength;
        Stats.KvBytesAllocated = _cache.Bytes;
    }

    /// <summary>
    /// Creates a generator on the GPU that holds <paramref name="model"/>: a <see cref="CudaEngine"/> with one sequence
    /// slot whose KV arena follows <see cref="GeneratorParams.CacheLayout"/> (default: the full cache of MaxLength).
    /// Units smaller than the sequence keep its most recent tokens; the CPU compression policies
    /// (<see cref="GeneratorParams.Hooks"/>) are not available on the GPU yet.
    /// </summary>
    /// <exception cref="NotSupportedException">Hooks other than the full cache were given.</exception>
    public Generator(CudaModel model, GeneratorParams generatorParams)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(generatorParams);
        ArgumentOutOfRangeException.ThrowIfNegative(generatorParams.MaxNewTokens);
        if (!ReferenceEquals(generatorParams.Hooks, Compression.CompressionHooks.None) && generatorParams.Hooks.Policy is not Compression.FullCachePolicy)
        {
            throw new NotSupportedException($"compression policy '{generatorParams.Hooks.Policy.Name}' runs on the CPU engine only for now; on the GPU give a CacheLayout (per-unit capacities, recency eviction) or use --device cpu.");
        }

        _params = generatorParams;
        var config = model.Config;
        int maxLength = generatorParams.MaxLength ?? Math.Min(config.MaxPositionEmbeddings, 4096);
        _layout = generatorParams.CacheLayout ?? KvCacheLayout.Full(config, maxLength, generatorParams.Granularity);
        _cuda = new CudaEngine(model, _layout, new CudaEngineOptions { MaxBatch = 1, MaxPrefillTokens = maxLength });
        _sampler = new TokenSampler(generatorParams.Sampling, config.VocabSize);
        _logits = new float[config.VocabSize];
        _eos = [.. generatorParams.EosTokenIds ?? model.GenerationConfig.EosTokenIds];
        MaxLength = maxLength;
        Stats.KvBytesAllocated = _cuda.KvBytes;
    }

    /// <summary>The CPU engine (for layer-level access).</summary>
    /// <exception cref="InvalidOperationException">This generator runs on the GPU (see <see cref="CudaEngine"/>).</exception>
    public InferenceEngine Engine => _engine ?? throw new InvalidOperationException("this generator runs on CUDA; use its CudaEngine.");

    /// <summary>The CPU KV cache.</summary>
    /// <exception cref="InvalidOperationException">This generator runs on the GPU (its cache is the CudaEngine's arena).</exception>
    public KvCache Cache => _cache ?? throw new InvalidOperationException("this generator runs on CUDA; its KV cache is CudaEngine.Arena.");

    /// <summary>The GPU engine, or null for a CPU generator.</summary>
    public CudaEngine? CudaEngine => _cuda;

    /// <summary>Longest sequence supported.</summary>
    public int MaxLength { get; }

    /// <summary>Prompt and generated tokens so far.</summary>
    public IReadOnlyList<int> Sequence => _sequence;

    /// <summary>Counters and timings.</summary>
    public GenerationStats Stats { get; } = new();

    /// <summary>Logits of the next token (valid after <see cref="AppendTokens"/>).</summary>
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>True once an eos token was generated, MaxNewTokens were generated, or MaxLength is reached.</summary>
    public bool IsDone { get; private set; }

    /// <summary>
    /// Feeds tokens: the first call prefills them (reporting finished layers to <paramref name="layersDone"/>), later
    /// calls decode them one by one. Afterwards <see cref="Logits"/> predict the next token.
    /// </summary>
    public void AppendTokens(ReadOnlySpan<int> tokens, IProgress<int>? layersDone = null, CancellationToken cancellationToken = default)
    {
        if (tokens.IsEmpty)
        {
            return;
        }

        FlushPending();
        var sw = Stopwatch.StartNew();
        if (_sequence.Count == 0)
        {
            if (_cuda is not null)
            {
                _cuda.Prefill(0, tokens, _logits, layersDone, cancellationToken);
            }
            else
            {
                _engine!.Prefill(tokens, _cache!, _params.Hooks, _logits, layersDone, cancellationToken);
            }

            Stats.PromptTokens += tokens.Length;
            Stats.PrefillTime += sw.Elapsed;
        }
        else
        {
            foreach (int t in tokens)
            {
                cancellationToken.ThrowIfCancellationRequested();
                DecodeOne(t);
            }

            Stats.DecodedTokens += tokens.Length;
            Stats.DecodeTime += sw.Elapsed;
        }

        foreach (int t in tokens)
        {
            _sequence.Add(t);
        }

        _hasLogits = true;
        Stats.KvBytesInUse = KvBytesInUse;
        if (_sequence.Count >= MaxLength || Stats.GeneratedTokens >= _params.MaxNewTokens)
        {
            IsDone = true;
        }
    }

    /// <summary>Samples the next token from the current logits and appends it; returns it.</summary>
    /// <exception cref="InvalidOperationException">No prompt yet, or generation is done.</exception>
    public int GenerateNextToken(CancellationToken cancellationToken = default)
    {
        if (IsDone)
        {
            throw new InvalidOperationException("generation is done (eos, MaxNewTokens or MaxLength reached).");
        }

        cancellationToken.ThrowIfCancellationRequested();
        FlushPending();
        if (!_hasLogits)
        {
            throw new InvalidOperationException("append a prompt with AppendTokens before generating.");
        }

        int token = _sampler.Sample(_logits);
        _sequence.Add(token);
        Stats.GeneratedTokens++;
        if (_eos.Contains(token) || Stats.GeneratedTokens >= _params.MaxNewTokens || _sequence.Count >= MaxLength)
        {
            IsDone = true;
        }
        else
        {
            // The token is decoded lazily, so the last generated token never costs a forward pass.
            _pending = token;
            _hasLogits = false;
        }

        return token;
    }

    /// <summary>Prefills <paramref name="prompt"/> and streams generated tokens until done.</summary>
    public IEnumerable<int> Generate(IReadOnlyList<int> prompt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        AppendTokens([.. prompt], null, cancellationToken);
        while (!IsDone)
        {
            yield return GenerateNextToken(cancellationToken);
        }
    }

    /// <summary>Asynchronous streaming: compute runs on the thread pool, tokens are yielded as they are sampled.</summary>
    public async IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> prompt, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        int[] tokens = [.. prompt];
        await Task.Run(() => AppendTokens(tokens, null, cancellationToken), cancellationToken).ConfigureAwait(false);
        while (!IsDone)
        {
            yield return await Task.Run(() => GenerateNextToken(cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    private void FlushPending()
    {
        if (_pending is not int token)
        {
            return;
        }

        _pending = null;
        var sw = Stopwatch.StartNew();
        DecodeOne(token);
        Stats.DecodedTokens++;
        Stats.DecodeTime += sw.Elapsed;
        Stats.KvBytesInUse = KvBytesInUse;
        _hasLogits = true;
    }

    /// <summary>KV bytes holding tokens now (on the GPU: each unit holds min(sequence, capacity) rows of bf16 keys and values).</summary>
    private long KvBytesInUse
    {
        get
        {
            if (_cache is not null)
            {
                return _cache.BytesInUse;
            }

            long rows = 0;
            int tokens = _sequence.Count;
            for (int l = 0; l < _layout.Layers; l++)
            {
                for (int u = 0; u < _layout.UnitsPerLayer; u++)
                {
                    rows += Math.Min(tokens, _layout.Capacity(l, u));
                }
            }

            return rows * _layout.HeadDim * 2 * 2;
        }
    }

    private void DecodeOne(int token)
    {
        if (_cuda is not null)
        {
            _cuda.Decode([0], [token], _logits);
        }
        else
        {
            _engine!.Decode(token, _cache!, _params.Hooks, _logits);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _cache?.Dispose();
        _cuda?.Dispose();
    }
}
