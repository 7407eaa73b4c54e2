namespace UNComp.Runtime.Gpu;

/// <summary>Sizes and switches of a <see cref="CudaEngine"/>, fixed at construction (every buffer is allocated once).</summary>
public sealed record CudaEngineOptions
{
    /// <summary>Sequence slots decoded together (the KV arena holds this many caches).</summary>
    public int MaxBatch { get; init; } = 1;

    /// <summary>Longest prompt one prefill takes; default: the layout's largest unit capacity.</summary>
    public int? MaxPrefillTokens { get; init; }

    /// <summary>Prompt tokens per MLP chunk in prefill (bounds the intermediate activations).</summary>
    public int MlpChunkTokens { get; init; } = 4096;

    /// <summary>Replay each decode step as one CUDA graph (captured per batch size after its first eager step).</summary>
    public bool UseCudaGraphs { get; init; } = true;

    /// <summary>Extra NVRTC definitions for the kernels (a compiled profile's constants).</summary>
    public IReadOnlyList<string> KernelDefines { get; init; } = [];
}
