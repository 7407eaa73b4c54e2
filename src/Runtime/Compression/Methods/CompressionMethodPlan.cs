namespace UNComp.Runtime.Compression.Methods;

/// <summary>
/// One method resolved for one run, as plain values: the selection, the capacity of every (layer, unit), the decode
/// headroom and the hidden-state stages. This is what an engine executes; <see cref="CreateCpuSetup"/> gives the
/// CPU engine's hooks, and a GPU engine translates the same values into kernel launches.
/// </summary>
/// <param name="Method">The registry name (<see cref="CompressionMethods"/>).</param>
/// <param name="Selection">What the cache keeps, or null for the full cache (no selection; overflow is an error).</param>
/// <param name="Budgets">Per-(layer, unit) capacities, <see cref="GrowTokens"/> included.</param>
/// <param name="GrowTokens">Decode headroom per unit (<see cref="DecodeMode.Grow"/>); prefill keeps capacity − headroom.</param>
/// <param name="HiddenStates">UNComp's hidden-state stages, or null for none.</param>
public sealed record CompressionMethodPlan(string Method, SelectionSpec? Selection, KvBudgetPlan Budgets, int GrowTokens = 0, HiddenStateSpec? HiddenStates = null)
{
    /// <summary>The CPU engine's setup: <see cref="SpecPolicy"/> and <see cref="SpecHiddenStatePruner"/> on these values.</summary>
    public CompressionSetup CreateCpuSetup() => new(Budgets, new CompressionHooks
    {
        Policy = Selection is { } spec ? new SpecPolicy(Method, spec, GrowTokens) : FullCachePolicy.Instance,
        Pruner = HiddenStates is null ? null : new SpecHiddenStatePruner(HiddenStates),
    });
}
