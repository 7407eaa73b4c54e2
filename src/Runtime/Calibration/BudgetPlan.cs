namespace UNComp.Runtime.Calibration;

/// <summary>Budgets of one layer's cache units.</summary>
/// <param name="Budgets">KV capacity in tokens per unit.</param>
/// <param name="Aligned">Whether every budget is a multiple of the alignment.</param>
public sealed record BudgetPlan(IReadOnlyList<int> Budgets, bool Aligned)
{
    /// <summary>Mean budget over the units.</summary>
    public double Mean => Budgets.Count == 0 ? 0 : Budgets.Average();
}
