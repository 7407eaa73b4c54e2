namespace UNComp.Runtime.Calibration;

/// <summary>How one layer's head order moved between a profile and new prompts.</summary>
/// <param name="Layer">Layer index.</param>
/// <param name="Spearman">Spearman rank correlation of query-head entropies (profile vs new); 1 = same order.</param>
/// <param name="OldGroups">Group per cache unit in the profile.</param>
/// <param name="NewGroups">Group per cache unit the new prompts give.</param>
public sealed record LayerDrift(int Layer, double Spearman, IReadOnlyList<int> OldGroups, IReadOnlyList<int> NewGroups)
{
    /// <summary>Units whose group would change.</summary>
    public IReadOnlyList<int> ChangedUnits { get; } = Enumerable.Range(0, OldGroups.Count).Where(u => OldGroups[u] != NewGroups[u]).ToArray();
}
