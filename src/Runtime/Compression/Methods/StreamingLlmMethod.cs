namespace UNComp.Runtime.Compression.Methods;

/// <summary>StreamingLLM (Xiao et al. 2023): 4 attention-sink tokens plus the most recent; no scores.</summary>
public sealed class StreamingLlmMethod : CompressionMethod
{
    /// <summary>Sinks + recency: decode evicts the oldest non-sink token.</summary>
    public static SelectionSpec Spec { get; } = new(ScoreSource.None, Window: 0, Kernel: 1, PoolingKind.None, Sinks: 4, Recent: 0, DecodeMode.Fixed);

    /// <inheritdoc />
    public override string Name => "streamingllm";

    /// <inheritdoc />
    public override string Summary => "StreamingLLM: 4 sink tokens + most recent, uniform budget";

    /// <inheritdoc />
    public override SelectionSpec? Selection(MethodRequest request) => Spec;
}
