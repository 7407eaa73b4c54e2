using CacheGranularity = UNComp.Runtime.Cache.CacheGranularity;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Models;
using UncompProfile = UNComp.Runtime.Profiles.UncompProfile;

namespace UNComp.Runtime.Evaluation;

/// <summary>
/// The methods <c>uncomp eval</c> compares, each built for one prompt from one mean budget with the shared
/// accounting of <see cref="KvBudgetPlanner"/> (mean tokens per cache unit, window included, KV-head units).
/// </summary>
public static class EvalMethods
{
    /// <summary>Every known method name.</summary>
    public static IReadOnlyList<string> All { get; } = ["full", "uncomp", "uncomp-kv", "snapkv", "pyramidkv", "streamingllm", "h2o"];

    /// <summary>Whether a method needs a calibrated profile.</summary>
    public static bool NeedsProfile(string method) => method.StartsWith("uncomp", StringComparison.Ordinal);

    /// <summary>Builds a method's setup for one prompt.</summary>
    /// <param name="method">A name from <see cref="All"/>.</param>
    /// <param name="config">The model.</param>
    /// <param name="meanBudget">Mean tokens per cache unit (ignored by full).</param>
    /// <param name="promptLength">Prompt tokens (scales hidden-state keep lengths).</param>
    /// <param name="maxCapacity">Largest useful capacity: prompt + new tokens (also the full cache's size).</param>
    /// <param name="profile">The calibrated profile (uncomp methods).</param>
    public static CompressionSetup Create(string method, ModelConfig config, double meanBudget, int promptLength, int maxCapacity, UncompProfile? profile)
    {
        ArgumentNullException.ThrowIfNull(method);
        double mean = Math.Min(Math.Max(1, meanBudget), maxCapacity);
        return method switch
        {
            "full" => new CompressionSetup(KvBudgetPlanner.Uniform(config, maxCapacity), CompressionHooks.None),
            "uncomp" or "uncomp-kv" => UncompCompression.FromProfile(
                profile ?? throw new ArgumentException($"method '{method}' needs a calibrated profile (uncomp calibrate, then --profile).", nameof(profile)),
                config, mean, maxCapacity, hiddenStates: method == "uncomp" ? null : false, promptLength: promptLength),
            "snapkv" => new CompressionSetup(KvBudgetPlanner.Uniform(config, mean, CacheGranularity.KvHead, maxCapacity), new CompressionHooks { Policy = new SnapKvPolicy() }),
            "pyramidkv" => new CompressionSetup(KvBudgetPlanner.Pyramid(config, mean, 20, CacheGranularity.KvHead, maxCapacity), new CompressionHooks { Policy = new SnapKvPolicy(name: "pyramidkv") }),
            "streamingllm" => new CompressionSetup(KvBudgetPlanner.Uniform(config, mean, CacheGranularity.KvHead, maxCapacity), new CompressionHooks { Policy = new StreamingLlmPolicy() }),
            "h2o" => new CompressionSetup(KvBudgetPlanner.Uniform(config, mean, CacheGranularity.KvHead, maxCapacity), new CompressionHooks { Policy = new H2OPolicy() }),
            _ => throw new ArgumentException($"unknown method '{method}'; use one of: {string.Join(", ", All)}.", nameof(method)),
        };
    }
}
