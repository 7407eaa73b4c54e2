using UNComp.Runtime.Compression;
using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Models;
using UncompProfile = UNComp.Runtime.Profiles.UncompProfile;

namespace UNComp.Runtime.Evaluation;

/// <summary>
/// The methods <c>uncomp eval</c> compares: the names and definitions of <see cref="CompressionMethods"/>, each
/// built for one prompt from one mean budget with the shared accounting of <see cref="KvBudgetPlanner"/> (mean
/// tokens per cache unit, window included, KV-head units) and run by the CPU engine's spec executors.
/// </summary>
public static class EvalMethods
{
    /// <summary>Every known method name (the registry's).</summary>
    public static IReadOnlyList<string> All => CompressionMethods.Names;

    /// <summary>Whether a method needs a calibrated profile.</summary>
    /// <exception cref="ArgumentException">Unknown method.</exception>
    public static bool NeedsProfile(string method) => CompressionMethods.Get(method).NeedsProfile;

    /// <summary>Resolves a method for one prompt (plain values: selection spec, budgets, hidden-state stages).</summary>
    /// <param name="method">A name from <see cref="All"/>.</param>
    /// <param name="config">The model.</param>
    /// <param name="meanBudget">Mean tokens per cache unit (ignored by full).</param>
    /// <param name="promptLength">Prompt tokens (scales hidden-state keep lengths).</param>
    /// <param name="maxCapacity">Largest useful capacity: prompt + new tokens (also the full cache's size).</param>
    /// <param name="profile">The calibrated profile (uncomp methods).</param>
    public static CompressionMethodPlan Plan(string method, ModelConfig config, double meanBudget, int promptLength, int maxCapacity, UncompProfile? profile)
    {
        ArgumentNullException.ThrowIfNull(method);
        return CompressionMethods.Get(method).Plan(new MethodRequest(config, meanBudget, promptLength, maxCapacity, profile));
    }

    /// <summary>Builds a method's CPU setup for one prompt (<see cref="Plan"/>, then its CPU executors).</summary>
    /// <inheritdoc cref="Plan" path="/param"/>
    public static CompressionSetup Create(string method, ModelConfig config, double meanBudget, int promptLength, int maxCapacity, UncompProfile? profile) =>
        Plan(method, config, meanBudget, promptLength, maxCapacity, profile).CreateCpuSetup();
}
