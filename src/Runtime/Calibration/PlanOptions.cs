using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Calibration;

/// <summary>Choices that turn calibration measurements into a profile (groups, budgets, stages).</summary>
public sealed record PlanOptions
{
    /// <summary>G, the number of head groups (2, 4, 8, … up to the units per layer).</summary>
    public int GroupCount { get; init; } = 2;

    /// <summary><see cref="CacheGranularity.KvHead"/> (default) or <see cref="CacheGranularity.QueryHead"/>.</summary>
    public string Granularity { get; init; } = CacheGranularity.KvHead;

    /// <summary>S̄, tokens per unit, window included. In authors' mode this is their argument M.</summary>
    public double MeanBudget { get; init; } = 384;

    /// <summary>Group weights w_g; null = <see cref="BudgetPlanner.ArithmeticWeights"/>.</summary>
    public IReadOnlyList<double>? GroupWeights { get; init; }

    /// <summary>Budget alignment in tokens (1 = none).</summary>
    public int Alignment { get; init; } = BudgetPlanner.DefaultAlignment;

    /// <summary>Use the authors' released budgets [⌊1.5M⌋/2, ⌊1.5M⌋] (G = 2 only).</summary>
    public bool AuthorsBudgets { get; init; }

    /// <summary>Observation window w.</summary>
    public int Window { get; init; } = 8;

    /// <summary>Max-pool kernel (odd).</summary>
    public int PoolKernel { get; init; } = 7;

    /// <summary><see cref="DecodePolicy.Fixed"/> or <see cref="DecodePolicy.Grow"/>.</summary>
    public string Decode { get; init; } = DecodePolicy.Fixed;

    /// <summary>Hidden-state compression by stages.</summary>
    public bool HiddenStates { get; init; } = true;

    /// <summary>ε of the stage split.</summary>
    public double Epsilon { get; init; } = StagePlanner.DefaultEpsilon;

    /// <summary>T_max; null = the model's maxPositionEmbeddings.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>m in tokens; null = 1536 capped at T_max (or the ratio when set).</summary>
    public int? MinKeep { get; init; }

    /// <summary>Ratio mode: m = ⌊ratio · T_max⌋; overrides <see cref="MinKeep"/>.</summary>
    public double? MinKeepRatio { get; init; }

    /// <summary>Whether the last w tokens always survive hidden-state pruning.</summary>
    public bool KeepWindow { get; init; } = true;

    /// <summary>
    /// Explicit stages (inclusive layer ranges) instead of splitting by scores; used when importing data that
    /// has no scores.
    /// </summary>
    public IReadOnlyList<(int First, int Last)>? Stages { get; init; }
}
