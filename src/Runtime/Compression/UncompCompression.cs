using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;
using CacheGranularity = UNComp.Runtime.Cache.CacheGranularity;

namespace UNComp.Runtime.Compression;

/// <summary>
/// Builds UNComp's hooks (<see cref="UncompPolicy"/> + optional <see cref="UncompHiddenStatePruner"/>) and budget
/// plan from a calibrated profile, or from plain per-(layer, unit) budgets and per-layer keep lengths.
/// </summary>
public static class UncompCompression
{
    /// <summary>Query rows of the previous layer that score hidden-state pruning (method §3.2: 8, whatever the KV window).</summary>
    public const int PruneWindow = 8;

    /// <summary>
    /// From a profile. With <paramref name="meanBudget"/> the profile's budgets are rescaled to that mean (their
    /// ratios, i.e. the entropy groups, are kept); without it they are used exactly.
    /// </summary>
    /// <param name="profile">A validated profile.</param>
    /// <param name="config">The model's config (must match the profile's shape).</param>
    /// <param name="meanBudget">Mean tokens per unit, or null for the profile's own budgets.</param>
    /// <param name="maxCapacity">Largest useful capacity (e.g. prompt + new tokens), or null.</param>
    /// <param name="hiddenStates">Override of the profile's hidden-state switch.</param>
    /// <param name="promptLength">
    /// When given, stage keep lengths are scaled to this prompt as the fraction keep/maxTokens of the profile (the
    /// profile's absolute counts were planned for prompts of maxTokens tokens).
    /// </param>
    /// <param name="growTokens">Decode headroom per unit when the profile's decode policy is "grow" (e.g. max new tokens).</param>
    public static CompressionSetup FromProfile(UncompProfile profile, ModelConfig config, double? meanBudget = null, int? maxCapacity = null, bool? hiddenStates = null, int? promptLength = null, int growTokens = 0)
    {
        var plan = ProfileBudgets(profile, config, meanBudget, maxCapacity);
        var keep = ProfileKeepLengths(profile, config, hiddenStates, promptLength);
        int grow = profile.Compression.Decode == DecodePolicy.Grow ? growTokens : 0;
        return Create(plan, keep, profile.Compression.Window, profile.Compression.PoolKernel, profile.Compression.HiddenStates.KeepWindow, grow);
    }

    /// <summary>
    /// A profile's per-(layer, unit) capacities: rescaled to <paramref name="meanBudget"/> (group ratios kept), or
    /// exactly the profile's budgets when it is null.
    /// </summary>
    /// <exception cref="ArgumentException">The profile's layer count does not match the model.</exception>
    public static KvBudgetPlan ProfileBudgets(UncompProfile profile, ModelConfig config, double? meanBudget = null, int? maxCapacity = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(config);
        if (profile.Layers.Count != config.NumLayers)
        {
            throw new ArgumentException($"profile '{profile.Name}' has {profile.Layers.Count} layers but the model has {config.NumLayers}; calibrate this model (uncomp calibrate).", nameof(profile));
        }

        var granularity = profile.Compression.Granularity == Profiles.CacheGranularity.QueryHead ? CacheGranularity.QueryHead : CacheGranularity.KvHead;
        var budgets = profile.Layers.Select(l => l.Budgets).ToArray();
        return meanBudget is double mean
            ? KvBudgetPlanner.Scaled(config, budgets, mean, granularity, maxCapacity)
            : KvBudgetPlanner.Exact(config, budgets, granularity);
    }

    /// <summary>
    /// Tokens each layer processes under the profile's hidden-state stages, or null when they are off (the profile's
    /// switch, or <paramref name="hiddenStates"/> when given). With <paramref name="promptLength"/> the stage keep
    /// lengths are scaled by promptLength / maxTokens and rounded up (at least 1).
    /// </summary>
    public static int[]? ProfileKeepLengths(UncompProfile profile, ModelConfig config, bool? hiddenStates = null, int? promptLength = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(config);
        var hs = profile.Compression.HiddenStates;
        if (!(hiddenStates ?? hs.Enabled))
        {
            return null;
        }

        double scale = promptLength is int p && hs.MaxTokens > 0 ? (double)p / hs.MaxTokens : 1.0;
        return UncompHiddenStatePruner.KeepLengthsFromStages(
            config.NumLayers,
            profile.Stages.Select(s => (s.FirstLayer, s.LastLayer, Math.Max(1, (int)Math.Ceiling(s.KeepTokens * scale)))));
    }

    /// <summary>
    /// From a plan and optional per-layer hidden-state keep lengths (null = no hidden-state compression). With
    /// <paramref name="growTokens"/> &gt; 0 the layout gets that much decode headroom per unit ("grow").
    /// </summary>
    public static CompressionSetup Create(KvBudgetPlan plan, IReadOnlyList<int>? keepTokensPerLayer = null, int window = 8, int kernel = 7, bool keepLastWindow = true, int growTokens = 0)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (growTokens > 0)
        {
            plan = plan.WithHeadroom(growTokens);
        }

        var hooks = new CompressionHooks
        {
            Policy = new UncompPolicy(window, kernel, growTokens: growTokens),
            Pruner = keepTokensPerLayer is null ? null : new UncompHiddenStatePruner(keepTokensPerLayer, PruneWindow, keepLastWindow),
        };
        return new CompressionSetup(plan, hooks);
    }
}
