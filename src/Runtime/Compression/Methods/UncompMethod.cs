using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Compression.Methods;

/// <summary>
/// UNComp (arXiv 2410.03090): the profile's entropy-grouped per-unit budgets scaled to the mean, SnapKV-style
/// selection with the profile's window and kernel (max pool, the window always kept), the profile's decode mode,
/// and — for <c>uncomp</c>, not <c>uncomp-kv</c> — the profile's hidden-state stages scaled to the prompt.
/// </summary>
/// <param name="hiddenStates">False for <c>uncomp-kv</c> (KV eviction only); true follows the profile's switch.</param>
public sealed class UncompMethod(bool hiddenStates = true) : CompressionMethod
{
    /// <summary>Whether the profile's hidden-state stages run (when the profile enables them).</summary>
    public bool UsesHiddenStates { get; } = hiddenStates;

    /// <inheritdoc />
    public override string Name => UsesHiddenStates ? "uncomp" : "uncomp-kv";

    /// <inheritdoc />
    public override string Summary => UsesHiddenStates
        ? "UNComp: profile budgets (entropy groups), window + max-pool, hidden-state stages"
        : "UNComp without hidden-state stages (KV eviction only)";

    /// <inheritdoc />
    public override bool NeedsProfile => true;

    /// <summary>UNComp's selection from a profile's compression settings.</summary>
    public static SelectionSpec SpecFor(ProfileCompression compression)
    {
        ArgumentNullException.ThrowIfNull(compression);
        var decode = compression.Decode == DecodePolicy.Grow ? DecodeMode.Grow : DecodeMode.Fixed;
        return new(ScoreSource.ObservationWindow, compression.Window, compression.PoolKernel, PoolingKind.Max, Sinks: 0, Recent: compression.Window, decode);
    }

    /// <inheritdoc />
    public override SelectionSpec? Selection(MethodRequest request) => SpecFor(Profile(request).Compression);

    /// <inheritdoc />
    public override KvBudgetPlan Budgets(MethodRequest request) =>
        UncompCompression.ProfileBudgets(Profile(request), request.Config, request.Mean, request.MaxCapacity);

    /// <inheritdoc />
    public override HiddenStateSpec? HiddenStates(MethodRequest request)
    {
        var profile = Profile(request);
        var keep = UncompCompression.ProfileKeepLengths(profile, request.Config, UsesHiddenStates ? null : false, request.PromptLength);
        return keep is null ? null : new HiddenStateSpec(keep, UncompCompression.PruneWindow, profile.Compression.HiddenStates.KeepWindow);
    }

    private UncompProfile Profile(MethodRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Profile ?? throw new ArgumentException($"method '{Name}' needs a calibrated profile (uncomp calibrate, then --profile).", nameof(request));
    }
}
