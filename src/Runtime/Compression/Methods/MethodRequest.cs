using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Compression.Methods;

/// <summary>What a <see cref="CompressionMethod"/> needs to plan one run (one prompt).</summary>
/// <param name="Config">The model.</param>
/// <param name="MeanBudget">Mean tokens per cache unit, window included (ignored by <c>full</c>).</param>
/// <param name="PromptLength">Prompt tokens (UNComp scales its hidden-state keep lengths to it).</param>
/// <param name="MaxCapacity">Largest useful capacity: prompt + new tokens (also the full cache's size).</param>
/// <param name="Profile">A calibrated profile, for methods that need one.</param>
/// <param name="GrowTokens">Decode headroom per unit for methods in <see cref="DecodeMode.Grow"/> (e.g. max new tokens).</param>
public sealed record MethodRequest(ModelConfig Config, double MeanBudget, int PromptLength, int MaxCapacity, UncompProfile? Profile = null, int GrowTokens = 0)
{
    /// <summary>The mean budget clamped to [1, <see cref="MaxCapacity"/>]: what every method's planner receives.</summary>
    public double Mean => Math.Min(Math.Max(1, MeanBudget), MaxCapacity);
}
