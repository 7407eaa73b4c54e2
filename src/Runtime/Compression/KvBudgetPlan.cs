using UNComp.Runtime.Cache;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Compression;

/// <summary>
/// Token capacities per (layer, cache unit) for one method, with the accounting every method shares: the mean
/// is tokens per cache unit over all layers and units, the observation window included; bytes are what the CPU
/// cache allocates (Σ capacity × head dim × 2 × 4).
/// </summary>
public sealed class KvBudgetPlan
{
    internal KvBudgetPlan(ModelConfig config, int[][] capacities, CacheGranularity granularity)
    {
        Config = config;
        Capacities = capacities;
        Granularity = granularity;
        TotalTokens = capacities.Sum(row => row.Sum(c => (long)c));
        Units = capacities.Sum(row => row.Length);
    }

    /// <summary>The model.</summary>
    public ModelConfig Config { get; }

    /// <summary>Capacity per layer (outer) and unit (inner).</summary>
    public IReadOnlyList<int[]> Capacities { get; }

    /// <summary>What a unit is.</summary>
    public CacheGranularity Granularity { get; }

    /// <summary>Σ capacities (tokens).</summary>
    public long TotalTokens { get; }

    /// <summary>Number of (layer, unit) pairs.</summary>
    public int Units { get; }

    /// <summary>Mean tokens per cache unit.</summary>
    public double MeanTokensPerUnit => (double)TotalTokens / Units;

    /// <summary>Bytes of keys and values the CPU cache allocates for this plan (fp32).</summary>
    public long Bytes => TotalTokens * Config.HeadDim * 2 * sizeof(float);

    /// <summary>Bytes a full cache of <paramref name="tokens"/> tokens would need at KV-head granularity (fp32).</summary>
    public long FullCacheBytes(int tokens) => (long)tokens * Config.NumLayers * Config.NumKeyValueHeads * Config.HeadDim * 2 * sizeof(float);

    /// <summary>Capacity of one unit.</summary>
    public int Capacity(int layer, int unit) => Capacities[layer][unit];

    /// <summary>The same plan with <paramref name="tokens"/> more capacity per unit (decode headroom for "grow").</summary>
    public KvBudgetPlan WithHeadroom(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        return new KvBudgetPlan(Config, [.. Capacities.Select(r => r.Select(c => c + tokens).ToArray())], Granularity);
    }

    /// <summary>The cache layout with exactly these capacities.</summary>
    public KvCacheLayout ToLayout() => KvCacheLayout.FromCapacities(Config, [.. Capacities.Select(r => (int[])r.Clone())], Granularity);
}
