using UNComp.Runtime.Cache;

namespace UNComp.Runtime.Compression;

/// <summary>A method ready to run: its capacities and its hooks. Create the cache with <see cref="CreateCache"/>.</summary>
/// <param name="Plan">Per-(layer, unit) capacities.</param>
/// <param name="Hooks">Policy, optional hidden-state pruner.</param>
public sealed record CompressionSetup(KvBudgetPlan Plan, CompressionHooks Hooks)
{
    /// <summary>Allocates a cache for this setup (query window and score tracking as the policy requests).</summary>
    public KvCache CreateCache()
    {
        var request = Hooks.Policy.Request;
        return new KvCache(Plan.ToLayout(), request.ObservationWindow, request.KeepAccumulatedScoresDuringDecode);
    }
}
