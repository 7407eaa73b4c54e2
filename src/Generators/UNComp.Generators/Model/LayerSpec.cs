namespace UNComp.Generators.Model
{
    /// <summary>One entry of <c>layers</c>: score, per-query-head entropy, and group and budget per cache unit.</summary>
    internal sealed record LayerSpec(
        int Layer,
        double Score,
        EquatableArray<double> Entropy,
        EquatableArray<int> Groups,
        EquatableArray<int> Budgets);
}
