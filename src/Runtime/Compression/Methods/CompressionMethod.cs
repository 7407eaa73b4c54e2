using UNComp.Runtime.Cache;

namespace UNComp.Runtime.Compression.Methods;

/// <summary>
/// One KV-cache compression method, kvpress-press-shaped: a name, a <see cref="SelectionSpec"/> (what ranks the
/// tokens, pooling, reserved tokens, decode mode) and a budget rule. Scoring, top-k and the gather belong to the
/// engines. Adding a method = one subclass in this folder + one line in <see cref="CompressionMethods.All"/>.
/// </summary>
public abstract class CompressionMethod
{
    /// <summary>Registry name used by the CLI, eval and reports, e.g. <c>snapkv</c>.</summary>
    public abstract string Name { get; }

    /// <summary>One line for help texts and reports.</summary>
    public abstract string Summary { get; }

    /// <summary>Whether <see cref="MethodRequest.Profile"/> must be given.</summary>
    public virtual bool NeedsProfile => false;

    /// <summary>What the cache keeps for this request, or null for the full cache.</summary>
    public abstract SelectionSpec? Selection(MethodRequest request);

    /// <summary>Per-(layer, unit) capacities (default: every KV-head unit gets the mean).</summary>
    public virtual KvBudgetPlan Budgets(MethodRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return KvBudgetPlanner.Uniform(request.Config, request.Mean, CacheGranularity.KvHead, request.MaxCapacity);
    }

    /// <summary>Hidden-state stages for this request (default: none).</summary>
    public virtual HiddenStateSpec? HiddenStates(MethodRequest request) => null;

    /// <summary>Resolves the method for one run.</summary>
    /// <exception cref="ArgumentException">The method needs a profile and none was given.</exception>
    public CompressionMethodPlan Plan(MethodRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (NeedsProfile && request.Profile is null)
        {
            throw new ArgumentException($"method '{Name}' needs a calibrated profile (uncomp calibrate, then --profile).", nameof(request));
        }

        var selection = Selection(request);
        int grow = selection is { Decode: DecodeMode.Grow } ? request.GrowTokens : 0;
        var budgets = Budgets(request);
        return new CompressionMethodPlan(Name, selection, grow > 0 ? budgets.WithHeadroom(grow) : budgets, grow, HiddenStates(request));
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
