using UNComp.Runtime.Cache;
using UNComp.Runtime.Gpu;

namespace UNComp.Runtime.Serving;

/// <summary>
/// <see cref="IBatchEngine"/> on a <see cref="CudaEngine"/>: its sequence slots are the scheduler's slots, a prefill
/// fills one slot, and a decode step runs every active slot in one batched pass (one CUDA graph per batch size).
/// When every row of a step decodes greedily the argmax is taken on the device and only the ids come back; otherwise
/// the logits of every row come back to the host, where the scheduler samples each request with its own settings.
/// </summary>
public sealed class CudaBatchEngine : IBatchEngine
{
    private readonly CudaEngine _engine;
    private readonly bool _ownsEngine;

    /// <summary>Wraps <paramref name="engine"/>, whose slots hold sequences of up to <paramref name="maxSequenceLength"/> tokens.</summary>
    /// <param name="engine">The engine; used from the scheduler's thread only.</param>
    /// <param name="maxSequenceLength">Longest prompt + generated sequence per slot (at most the model's context); a prompt must also fit the engine's MaxPrefillTokens.</param>
    /// <param name="ownsEngine">Whether <see cref="Dispose"/> disposes the engine.</param>
    public CudaBatchEngine(CudaEngine engine, int maxSequenceLength, bool ownsEngine = false)
    {
        ArgumentNullException.ThrowIfNull(engine);
        int context = engine.Model.Config.MaxPositionEmbeddings;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSequenceLength, context);
        _engine = engine;
        _ownsEngine = ownsEngine;
        MaxSequenceLength = maxSequenceLength;
    }

    /// <summary>
    /// Creates an engine on <paramref name="model"/> with <paramref name="slots"/> slots, each with
    /// <paramref name="layout"/> (default: the full cache of <paramref name="maxSequenceLength"/> tokens; a smaller
    /// unit keeps its most recent tokens), and wraps it (owned).
    /// </summary>
    public static CudaBatchEngine Create(CudaModel model, int slots, int maxSequenceLength, KvCacheLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        layout ??= KvCacheLayout.Full(model.Config, maxSequenceLength);
        var engine = new CudaEngine(model, layout, new CudaEngineOptions { MaxBatch = slots, MaxPrefillTokens = maxSequenceLength });
        try
        {
            return new CudaBatchEngine(engine, maxSequenceLength, ownsEngine: true);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>The wrapped engine.</summary>
    public CudaEngine Engine => _engine;

    /// <inheritdoc />
    public int Slots => _engine.MaxBatch;

    /// <inheritdoc />
    public int VocabSize => _engine.Model.Config.VocabSize;

    /// <inheritdoc />
    public int MaxSequenceLength { get; }

    /// <inheritdoc />
    public void Prefill(int slot, ReadOnlySpan<int> prompt, int maxNewTokens, Span<float> logits, CancellationToken cancellationToken) =>
        _engine.Prefill(slot, prompt, logits, null, cancellationToken);

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<float> logits) => _engine.Decode(slots, tokens, logits);

    /// <inheritdoc />
    /// <remarks>Argmax on the device (<see cref="CudaEngine.DecodeSample"/>): batch × 4 bytes come back instead of batch × vocab logits.</remarks>
    public bool TryDecodeGreedy(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<int> chosen)
    {
        _engine.DecodeSample(slots, tokens, Generation.SamplingOptions.Greedy, [], chosen);
        return true;
    }

    /// <inheritdoc />
    public void Release(int slot) => _engine.Release(slot);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsEngine)
        {
            _engine.Dispose();
        }
    }
}
