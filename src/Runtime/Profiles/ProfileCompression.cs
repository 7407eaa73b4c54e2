namespace UNComp.Runtime.Profiles;

/// <summary>The <c>compression</c> section: settings shared by every layer.</summary>
public sealed record ProfileCompression
{
    /// <summary>Compression method; <c>uncomp</c>.</summary>
    public required string Method { get; init; }

    /// <summary>kvHead | queryHead (<see cref="CacheGranularity"/>).</summary>
    public required string Granularity { get; init; }

    /// <summary>Observation window w; every budget is at least w.</summary>
    public required int Window { get; init; }

    /// <summary>Max-pool kernel (odd).</summary>
    public required int PoolKernel { get; init; }

    /// <summary>S̄: the mean budget in tokens per cache unit, window included.</summary>
    public required double MeanBudget { get; init; }

    /// <summary>G, the number of head groups.</summary>
    public required int GroupCount { get; init; }

    /// <summary>w_g per group, group 0 = lowest entropy.</summary>
    public required IReadOnlyList<double> GroupWeights { get; init; }

    /// <summary>fixed | grow (<see cref="DecodePolicy"/>).</summary>
    public required string Decode { get; init; }

    /// <summary>Hidden-state compression (stages).</summary>
    public required ProfileHiddenStates HiddenStates { get; init; }
}
