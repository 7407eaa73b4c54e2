using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Compute;

namespace UNComp.Runtime.Generation;

/// <summary>Settings of one <see cref="Generator"/> (ONNX Runtime GenAI style).</summary>
public sealed record GeneratorParams
{
    /// <summary>Tokens to generate at most after the prompt.</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>
    /// Prompt + generated tokens the engine's buffers hold; default: the model's <c>max_position_embeddings</c>
    /// capped at 4096. Also the per-unit capacity of the default full cache.
    /// </summary>
    public int? MaxLength { get; init; }

    /// <summary>Token selection.</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>Compression plug-ins; default: full cache.</summary>
    public CompressionHooks Hooks { get; init; } = CompressionHooks.None;

    /// <summary>Cache layout; default: full cache of <see cref="MaxLength"/> tokens per unit.</summary>
    public KvCacheLayout? CacheLayout { get; init; }

    /// <summary>Cache unit granularity of the default layout.</summary>
    public CacheGranularity Granularity { get; init; } = CacheGranularity.KvHead;

    /// <summary>Compute backend; default <see cref="CpuBackend.Shared"/> (all cores).</summary>
    public IComputeBackend? Backend { get; init; }

    /// <summary>Token ids that stop generation; default: the model's generation config.</summary>
    public IReadOnlyList<int>? EosTokenIds { get; init; }
}
