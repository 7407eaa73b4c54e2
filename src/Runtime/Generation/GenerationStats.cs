namespace UNComp.Runtime.Generation;

/// <summary>Counters and timings of a <see cref="Generator"/>.</summary>
public sealed class GenerationStats
{
    /// <summary>Tokens prefilled.</summary>
    public int PromptTokens { get; internal set; }

    /// <summary>Wall time of the prefill.</summary>
    public TimeSpan PrefillTime { get; internal set; }

    /// <summary>Tokens run through decode.</summary>
    public int DecodedTokens { get; internal set; }

    /// <summary>Wall time of all decode steps.</summary>
    public TimeSpan DecodeTime { get; internal set; }

    /// <summary>Tokens generated (sampled).</summary>
    public int GeneratedTokens { get; internal set; }

    /// <summary>KV bytes holding tokens now.</summary>
    public long KvBytesInUse { get; internal set; }

    /// <summary>KV bytes allocated.</summary>
    public long KvBytesAllocated { get; internal set; }

    /// <summary>Prefill throughput.</summary>
    public double PrefillTokensPerSecond => PrefillTime > TimeSpan.Zero ? PromptTokens / PrefillTime.TotalSeconds : 0;

    /// <summary>Decode throughput.</summary>
    public double DecodeTokensPerSecond => DecodeTime > TimeSpan.Zero ? DecodedTokens / DecodeTime.TotalSeconds : 0;
}
