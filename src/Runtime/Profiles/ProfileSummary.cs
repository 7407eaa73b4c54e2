namespace UNComp.Runtime.Profiles;

/// <summary>One row of a <see cref="ProfileSummary"/>.</summary>
/// <param name="Layer">Layer index.</param>
/// <param name="Stage">Stage index.</param>
/// <param name="KeepTokens">Tokens the layer processes (hidden-state stage).</param>
/// <param name="UnitsPerGroup">Cache units in each group.</param>
/// <param name="BudgetsPerGroup">Distinct budgets of each group (usually one value).</param>
/// <param name="CachedTokens">Σ of the layer's budgets, each capped at the context length.</param>
/// <param name="MeanEntropy">Mean Ĥ of the layer's query heads.</param>
/// <param name="Score">Layer score.</param>
public sealed record LayerSummaryRow(int Layer, int Stage, int KeepTokens, IReadOnlyList<int> UnitsPerGroup, IReadOnlyList<IReadOnlyList<int>> BudgetsPerGroup, long CachedTokens, double MeanEntropy, double Score);

/// <summary>
/// Figures of a profile at a given context length: per-layer groups and budgets, and KV-cache bytes against a full
/// cache. Full cache = layers × KV heads × context × d × 2 (K and V) × bytes per value, i.e. the model's real
/// cache; a queryHead profile stores one cache per query head and can exceed it on GQA models.
/// </summary>
public sealed class ProfileSummary
{
    /// <summary>Computes the summary.</summary>
    public ProfileSummary(UncompProfile profile, int contextLength)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        Profile = profile;
        ContextLength = contextLength;
        var rows = new List<LayerSummaryRow>();
        foreach (var layer in profile.Layers)
        {
            int stage = Enumerable.Range(0, profile.Stages.Count).FirstOrDefault(s => profile.Stages[s].FirstLayer <= layer.Layer && layer.Layer <= profile.Stages[s].LastLayer);
            var units = new int[profile.Compression.GroupCount];
            var budgets = Enumerable.Range(0, units.Length).Select(_ => new SortedSet<int>()).ToArray();
            for (int u = 0; u < layer.Groups.Count; u++)
            {
                units[layer.Groups[u]]++;
                budgets[layer.Groups[u]].Add(layer.Budgets[u]);
            }

            rows.Add(new LayerSummaryRow(layer.Layer, stage, profile.Stages[stage].KeepTokens, units,
                budgets.Select(b => (IReadOnlyList<int>)b.ToArray()).ToArray(),
                layer.Budgets.Sum(b => (long)Math.Min(b, contextLength)), layer.Entropy.Average(), layer.Score));
        }

        Rows = rows;
        CachedTokens = rows.Sum(r => r.CachedTokens);
        AllocatedTokens = profile.Layers.Sum(l => l.Budgets.Sum(b => (long)b));
        int unitsPerLayer = profile.UnitsPerLayer;
        FullCacheTokens = (long)profile.Model.NumLayers * profile.Model.NumKeyValueHeads * contextLength;
        TokensPerUnit = (double)CachedTokens / (profile.Model.NumLayers * unitsPerLayer);
    }

    /// <summary>The summarised profile.</summary>
    public UncompProfile Profile { get; }

    /// <summary>Context length the byte figures assume.</summary>
    public int ContextLength { get; }

    /// <summary>One row per layer.</summary>
    public IReadOnlyList<LayerSummaryRow> Rows { get; }

    /// <summary>Σ cached tokens over all layers and units (per sequence).</summary>
    public long CachedTokens { get; }

    /// <summary>Σ of every budget, uncapped: what a compiled cache allocates per sequence whatever the prompt length.</summary>
    public long AllocatedTokens { get; }

    /// <summary>Whether the compressed cache is at least as large as the full one at this context (nothing saved).</summary>
    public bool SavesNothing => CachedTokens >= FullCacheTokens;

    /// <summary>Tokens a full cache holds over all layers and KV heads.</summary>
    public long FullCacheTokens { get; }

    /// <summary>Mean cached tokens per unit (at this context length).</summary>
    public double TokensPerUnit { get; }

    /// <summary>Cached tokens per unit as a fraction of the context (the paper's "KV size" ratio).</summary>
    public double TokenRatio => TokensPerUnit / ContextLength;

    /// <summary>KV bytes per sequence with <paramref name="bytesPerValue"/> (2 for fp16/bf16, 4 for fp32).</summary>
    public long CacheBytes(int bytesPerValue) => CachedTokens * Profile.Model.HeadDim * 2L * bytesPerValue;

    /// <summary>Full-cache KV bytes per sequence.</summary>
    public long FullCacheBytes(int bytesPerValue) => FullCacheTokens * Profile.Model.HeadDim * 2L * bytesPerValue;

    /// <summary>Compressed / full cache bytes.</summary>
    public double ByteRatio => (double)CachedTokens / FullCacheTokens;
}
