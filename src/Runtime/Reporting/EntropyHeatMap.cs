using System.Globalization;
using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Reporting;

/// <summary>The per-head entropy heat map of a profile: layers × query heads, colour = Ĥ, borders = groups.</summary>
public static class EntropyHeatMap
{
    /// <summary>Builds the heat map; for kvHead profiles a query head shows its KV head's group.</summary>
    public static HeatMap Create(UncompProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var m = profile.Model;
        bool kv = profile.Compression.Granularity == CacheGranularity.KvHead;
        int share = m.NumAttentionHeads / m.NumKeyValueHeads;
        var groups = profile.Layers.Select(l => (IReadOnlyList<int>)Enumerable.Range(0, m.NumAttentionHeads).Select(h => l.Groups[kv ? h / share : h]).ToArray()).ToArray();
        return new HeatMap(profile.Layers.Select(l => l.Entropy).ToArray())
        {
            Title = string.Create(CultureInfo.InvariantCulture, $"{profile.Name}: normalised entropy per query head ({profile.Compression.GroupCount} groups, {profile.Compression.Granularity})"),
            RowAxisTitle = "layer",
            ColumnAxisTitle = kv ? string.Create(CultureInfo.InvariantCulture, $"query head ({share} per KV head; red = highest group)") : "query head (red = highest group)",
            LegendTitle = "Ĥ",
            Groups = groups,
            CellSize = Math.Clamp(640.0 / Math.Max(m.NumAttentionHeads, m.NumLayers), 10, 40),
            ShowValues = true,
        };
    }
}
