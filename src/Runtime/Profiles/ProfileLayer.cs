namespace UNComp.Runtime.Profiles;

/// <summary>One layer of a profile: entropies, groups and budgets.</summary>
public sealed record ProfileLayer
{
    /// <summary>Layer index (equals the position in the list).</summary>
    public required int Layer { get; init; }

    /// <summary>Layer score s_l used for the stages.</summary>
    public required double Score { get; init; }

    /// <summary>Normalised entropy Ĥ per query head (mean over calibration samples).</summary>
    public required IReadOnlyList<double> Entropy { get; init; }

    /// <summary>Group per cache unit.</summary>
    public required IReadOnlyList<int> Groups { get; init; }

    /// <summary>KV capacity in tokens per cache unit.</summary>
    public required IReadOnlyList<int> Budgets { get; init; }
}
