namespace UNComp.Runtime.Compression;

/// <summary>
/// StreamingLLM (Xiao et al. 2023): keep the first s "attention sink" tokens (default 4) and the most recent
/// tokens; no scores. Decode evicts the oldest non-sink token. When a unit's capacity is at most s, it keeps
/// capacity − 1 sinks so the newest token still fits.
/// </summary>
public sealed class StreamingLlmPolicy : IKvCachePolicy
{
    /// <summary>Creates the policy.</summary>
    /// <param name="sinkTokens">Sink tokens s (default 4).</param>
    public StreamingLlmPolicy(int sinkTokens = 4)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sinkTokens);
        SinkTokens = sinkTokens;
    }

    /// <inheritdoc />
    public string Name => "streamingllm";

    /// <summary>Sink tokens s.</summary>
    public int SinkTokens { get; }

    /// <inheritdoc />
    public AttentionStatsRequest Request => AttentionStatsRequest.None;

    /// <inheritdoc />
    public void SelectPrefill(in PrefillSelectionContext context, Span<int> keep)
    {
        int capacity = keep.Length;
        int sinks = Sinks(capacity);
        for (int i = 0; i < sinks; i++)
        {
            keep[i] = i;
        }

        int recent = capacity - sinks;
        for (int i = 0; i < recent; i++)
        {
            keep[sinks + i] = context.Length - recent + i;
        }
    }

    /// <inheritdoc />
    public int SelectDecodeEviction(in DecodeSelectionContext context) => Math.Min(Sinks(context.Capacity), context.Length - 1);

    private int Sinks(int capacity) => Math.Min(SinkTokens, Math.Max(0, capacity - 1));
}
