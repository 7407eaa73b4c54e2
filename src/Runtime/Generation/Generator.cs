using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Compute;
using UNComp.Runtime.Gpu;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Generation;

/// <summary>
/// Token-level generation loop (ONNX Runtime GenAI style): <see cref="AppendTokens"/> feeds the prompt (prefill)
/// or further tokens (decode), <see cref="GenerateNextToken"/> samples one token, <see cref="IsDone"/> turns
/// true on an eos id, <see cref="GeneratorParams.MaxNewTokens"/> or the context limit (<see cref="StopReason"/>
/// says which). Owns its engine buffers and KV cache. Runs on the CPU (<see cref="Generator(LlamaModel, GeneratorParams)"/>)
/// or on a GPU (<see cref="Generator(CudaModel, GeneratorParams)"/>); sampling happens on the host from the same
/// logits either way, so a seed gives the same choices on both.
/// </summary>
/// <remarks>
/// <para><b>Context limit.</b> <see cref="MaxLength"/> is never more than the model's <c>max_position_embeddings</c>.
/// Tokens that would take the sequence past it are refused with <see cref="ContextLengthExceededException"/>
/// (nothing runs, nothing changes); generation stops at it with <see cref="GenerationStopReason.ContextLimit"/>.</para>
/// <para><b>Failures.</b> Cancellation is honoured between layers of a prefill and between tokens of a decode; a
/// cancelled prefill leaves the generator empty and reusable, a cancelled decode keeps every token already decoded
/// in both <see cref="Sequence"/> and the cache. Any other failure inside a forward pass (a policy bug, non-finite
/// logits) leaves the cache in an unknown state, so the generator marks itself unusable and every later call
/// throws <see cref="InvalidOperationException"/> naming the first failure.</para>
/// <para><b>Threads.</b> Not thread-safe: one generator serves one sequence from one thread at a time. Overlapping
/// calls from several threads are detected and refused with <see cref="InvalidOperationException"/> (the call in
/// progress is not disturbed). Several generators over one <see cref="LlamaModel"/> may run in parallel, each with
/// its own <see cref="CompressionHooks"/> (policies keep scratch; sharing one instance concurrently is refused).</para>
/// </remarks>
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
    private readonly int _vocabSize;
    private int? _pending;
    private bool _hasLogits;
    private int _busy;
    private int _freed;
    private volatile bool _disposed;
    private string? _fault;

    /// <summary>Creates a generator (allocates the engine buffers and the cache).</summary>
    /// <exception cref="ArgumentException"><see cref="GeneratorParams.MaxLength"/> or a cache unit exceeds the model's context.</exception>
    public Generator(LlamaModel model, GeneratorParams generatorParams)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(generatorParams);
        _params = generatorParams;
        ArgumentOutOfRangeException.ThrowIfNegative(generatorParams.MaxNewTokens);
        var config = model.Config;
        (int maxLength, var layout) = Limits(config, generatorParams, Path.Combine(model.Directory, "config.json"));
        _engine = new InferenceEngine(model, Math.Max(maxLength, layout.MaxCapacity), generatorParams.Backend);
        _cache = InferenceEngine.CreateCache(layout, generatorParams.Hooks);
        _layout = layout;
        _sampler = new TokenSampler(generatorParams.Sampling, config.VocabSize);
        _logits = new float[config.VocabSize];
        _vocabSize = config.VocabSize;
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
    /// <exception cref="ArgumentException"><see cref="GeneratorParams.MaxLength"/> or a cache unit exceeds the model's context.</exception>
    public Generator(CudaModel model, GeneratorParams generatorParams)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(generatorParams);
        ArgumentOutOfRangeException.ThrowIfNegative(generatorParams.MaxNewTokens);
        if (!ReferenceEquals(generatorParams.Hooks, CompressionHooks.None) && generatorParams.Hooks.Policy is not FullCachePolicy)
        {
            throw new NotSupportedException($"compression policy '{generatorParams.Hooks.Policy.Name}' runs on the CPU engine only for now; on the GPU give a CacheLayout (per-unit capacities, recency eviction) or use --device cpu.");
        }

        _params = generatorParams;
        var config = model.Config;
        (int maxLength, _layout) = Limits(config, generatorParams, "config.json");
        _cuda = new CudaEngine(model, _layout, new CudaEngineOptions { MaxBatch = 1, MaxPrefillTokens = maxLength });
        _sampler = new TokenSampler(generatorParams.Sampling, config.VocabSize);
        _logits = new float[config.VocabSize];
        _vocabSize = config.VocabSize;
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

    /// <summary>Longest sequence (prompt + generated tokens) supported; at most the model's context.</summary>
    public int MaxLength { get; }

    /// <summary>Prompt and generated tokens so far.</summary>
    public IReadOnlyList<int> Sequence => _sequence;

    /// <summary>Counters and timings.</summary>
    public GenerationStats Stats { get; } = new();

    /// <summary>Logits of the next token (valid after <see cref="AppendTokens"/>).</summary>
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>True once an eos token was generated, MaxNewTokens were generated, or MaxLength is reached.</summary>
    public bool IsDone => StopReason != GenerationStopReason.None;

    /// <summary>Why generation is done (<see cref="GenerationStopReason.None"/> while it is not).</summary>
    public GenerationStopReason StopReason { get; private set; }

    /// <summary>Whether an earlier failure made this generator unusable (every call then throws).</summary>
    public bool IsFaulted => _fault is not null;

    /// <summary>
    /// Feeds tokens: the first call prefills them (reporting finished layers to <paramref name="layersDone"/>), later
    /// calls decode them one by one. Afterwards <see cref="Logits"/> predict the next token.
    /// </summary>
    /// <exception cref="ContextLengthExceededException">The tokens would take the sequence past <see cref="MaxLength"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token id is outside the vocabulary (nothing was run).</exception>
    /// <exception cref="OperationCanceledException">Cancelled: see the class remarks for the state left behind.</exception>
    /// <exception cref="NonFiniteLogitsException">The model produced NaN/Inf logits; the generator is now unusable.</exception>
    public void AppendTokens(ReadOnlySpan<int> tokens, IProgress<int>? layersDone = null, CancellationToken cancellationToken = default)
    {
        Enter();
        try
        {
            if (tokens.IsEmpty)
            {
                return;
            }

            CheckTokens(tokens);
            int after = _sequence.Count + tokens.Length;
            if (after > MaxLength)
            {
                throw new ContextLengthExceededException(string.Create(CultureInfo.InvariantCulture,
                    $"{tokens.Length} more tokens would make the sequence {after} tokens long; this generator holds at most {MaxLength} (MaxLength, never more than the model's context). Nothing was run: shorten the input or create the generator with a larger MaxLength."))
                { RequestedTokens = after, Limit = MaxLength };
            }

            FlushPending();
            if (_sequence.Count == 0)
            {
                Prefill(tokens, layersDone, cancellationToken);
            }
            else
            {
                DecodeAll(tokens, cancellationToken);
            }

            Stats.KvBytesInUse = KvBytesInUse;
            if (_sequence.Count >= MaxLength)
            {
                StopReason = GenerationStopReason.ContextLimit;
            }
            else if (Stats.GeneratedTokens >= _params.MaxNewTokens)
            {
                StopReason = GenerationStopReason.MaxNewTokens;
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Samples the next token from the current logits and appends it; returns it.</summary>
    /// <exception cref="InvalidOperationException">No prompt yet, generation is done, or the generator is unusable.</exception>
    public int GenerateNextToken(CancellationToken cancellationToken = default)
    {
        Enter();
        try
        {
            if (IsDone)
            {
                throw new InvalidOperationException($"generation is done ({StopReason}); read Sequence or start a new Generator.");
            }

            cancellationToken.ThrowIfCancellationRequested();
            FlushPending();
            if (!_hasLogits)
            {
                throw new InvalidOperationException("no prompt yet: call AppendTokens with the prompt before GenerateNextToken.");
            }

            int token = _sampler.Sample(_logits);
            _sequence.Add(token);
            Stats.GeneratedTokens++;
            StopReason = _eos.Contains(token) ? GenerationStopReason.EndOfSequence
                : Stats.GeneratedTokens >= _params.MaxNewTokens ? GenerationStopReason.MaxNewTokens
                : _sequence.Count >= MaxLength ? GenerationStopReason.ContextLimit
                : GenerationStopReason.None;
            if (!IsDone)
            {
                // The token is decoded lazily, so the last generated token never costs a forward pass.
                _pending = token;
                _hasLogits = false;
            }

            return token;
        }
        finally
        {
            Exit();
        }
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

    /// <summary>Frees the KV cache; a call running on another thread frees it when it returns.</summary>
    public void Dispose()
    {
        _disposed = true;
        if (Interlocked.CompareExchange(ref _busy, 1, 0) == 0)
        {
            Free();
        }
    }

    /// <summary>The sequence limit and cache layout for <paramref name="generatorParams"/>, both within the model's context.</summary>
    private static (int MaxLength, KvCacheLayout Layout) Limits(ModelConfig config, GeneratorParams generatorParams, string configPath)
    {
        int context = config.MaxPositionEmbeddings;
        int maxLength = generatorParams.MaxLength ?? Math.Min(context, 4096);
        if (maxLength < 1 || maxLength > context)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"GeneratorParams.MaxLength is {maxLength}; it must be in [1, {context}], the model's context (max_position_embeddings in {configPath})."),
                nameof(generatorParams));
        }

        var layout = generatorParams.CacheLayout ?? KvCacheLayout.Full(config, maxLength, generatorParams.Granularity);
        if (layout.MaxCapacity > context)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"the cache layout gives a unit {layout.MaxCapacity} tokens but the model's context is {context} (max_position_embeddings); a unit never holds more than the context, so lower the budgets."),
                nameof(generatorParams));
        }

        return (maxLength, layout);
    }

    private void Prefill(ReadOnlySpan<int> tokens, IProgress<int>? layersDone, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            if (_cuda is not null)
            {
                _cuda.Prefill(0, tokens, _logits, layersDone, cancellationToken);
            }
            else
            {
                _engine!.Prefill(tokens, _cache!, _params.Hooks, _logits, layersDone, cancellationToken);
            }
        }
        catch
        {
            // A prefill always starts from an empty cache, so clearing undoes any layer already written: the
            // generator is as new and the prompt can be appended again (a GPU prefill restarts its slot likewise).
            _cache?.Clear();
            throw;
        }

        CheckLogits(tokens.Length - 1, tokens[^1]);
        _sequence.AddRange(tokens);
        _hasLogits = true;
        Stats.PromptTokens += tokens.Length;
        Stats.PrefillTime += sw.Elapsed;
    }

    private void DecodeAll(ReadOnlySpan<int> tokens, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            foreach (int t in tokens)
            {
                cancellationToken.ThrowIfCancellationRequested();
                DecodeOne(t);
            }
        }
        finally
        {
            Stats.DecodeTime += sw.Elapsed;
        }
    }

    /// <summary>One decode step; the sequence grows with the cache, so a later cancellation never splits them.</summary>
    private void DecodeOne(int token)
    {
        try
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
        catch (Exception e)
        {
            // Some layers may have appended this token and others not: the cache no longer matches the sequence.
            _fault = $"a decode step failed at position {_sequence.Count} ({e.GetType().Name}: {e.Message})";
            throw;
        }

        _sequence.Add(token);
        _hasLogits = true;
        Stats.DecodedTokens++;
        CheckLogits(_sequence.Count - 1, token);
    }

    private void FlushPending()
    {
        if (_pending is not int token)
        {
            return;
        }

        _pending = null;
        var sw = Stopwatch.StartNew();
        // The pending token is already in Sequence (it was generated); decode it without adding it again.
        _sequence.RemoveAt(_sequence.Count - 1);
        try
        {
            DecodeOne(token);
        }
        finally
        {
            Stats.DecodeTime += sw.Elapsed;
            Stats.KvBytesInUse = KvBytesInUse;
        }
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

    private void CheckTokens(ReadOnlySpan<int> tokens)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)_vocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i],
                    string.Create(CultureInfo.InvariantCulture, $"token {i} is {tokens[i]}; ids must be in [0, {_vocabSize}) (vocab_size). Nothing was run."));
            }
        }
    }

    private void CheckLogits(int position, int token)
    {
        int bad = NonFiniteScan.IndexOfNonFinite(_logits);
        if (bad < 0)
        {
            return;
        }

        string message = string.Create(CultureInfo.InvariantCulture,
            $"the model produced non-finite logits at position {position} (after token {token}): logit {bad} is {NonFiniteScan.Describe(_logits[bad])}. No token can be chosen, so generation stopped; the weights hold NaN/Inf or the activations overflowed fp32.");
        _fault = message;
        _hasLogits = false;
        throw new NonFiniteLogitsException(message) { Position = position };
    }

    private void Enter()
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            throw new InvalidOperationException("this Generator is already running a call on another thread; a Generator is not thread-safe: use one per sequence and thread, or serialise the calls.");
        }

        if (_disposed)
        {
            Release(holdsHooks: false);
            ObjectDisposedException.ThrowIf(true, this);
        }

        if (_fault is not null)
        {
            Release(holdsHooks: false);
            throw new InvalidOperationException($"this Generator is unusable because {_fault}; create a new Generator.");
        }

        var hooks = _params.Hooks;
        if (hooks.IsStateful && Interlocked.Increment(ref hooks.ActiveCalls) != 1)
        {
            Interlocked.Decrement(ref hooks.ActiveCalls);
            Release(holdsHooks: false);
            throw new InvalidOperationException("the CompressionHooks of this Generator are in use by another generation at the same time; their policy keeps scratch state, so give each concurrent Generator its own CompressionHooks (e.g. a compiled class's CreateHooks()).");
        }
    }

    private void Exit() => Release(holdsHooks: true);

    private void Release(bool holdsHooks)
    {
        if (holdsHooks && _params.Hooks.IsStateful)
        {
            Interlocked.Decrement(ref _params.Hooks.ActiveCalls);
        }

        Volatile.Write(ref _busy, 0);
        if (_disposed && Interlocked.CompareExchange(ref _busy, 1, 0) == 0)
        {
            Free();
        }
    }

    private void Free()
    {
        if (Interlocked.Exchange(ref _freed, 1) == 0)
        {
            _cache?.Dispose();
            _cuda?.Dispose();
        }
    }
}
