namespace UNComp.Generators.Model
{
    /// <summary>The <c>compression</c> block, hidden-state settings included.</summary>
    internal sealed record CompressionSettings(
        string Method,
        string Granularity,
        int Window,
        int PoolKernel,
        double MeanBudget,
        int GroupCount,
        EquatableArray<double> GroupWeights,
        string Decode,
        bool HiddenStatesEnabled,
        double HiddenStatesEpsilon,
        int HiddenStatesMinKeep,
        int HiddenStatesMaxTokens,
        bool HiddenStatesKeepWindow)
    {
        /// <summary>True when the cache unit is a KV head (the default); false for one unit per query head.</summary>
        public bool PerKvHead => Granularity == "kvHead";
    }
}
