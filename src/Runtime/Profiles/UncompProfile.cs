using System.Text.Json.Serialization;

namespace UNComp.Runtime.Profiles;

/// <summary>
/// A calibrated UNComp profile, format <c>uncomp-profile/1</c> (docs/profile-format.md). Properties mirror the
/// JSON keys in order; read with <see cref="ProfileLoader"/>, write with <see cref="ProfileWriter"/>, check with
/// <see cref="ProfileValidator"/>.
/// </summary>
public sealed record UncompProfile
{
    /// <summary>The only format string this version reads and writes.</summary>
    public const string FormatId = "uncomp-profile/1";

    /// <summary>Always <see cref="FormatId"/>.</summary>
    public required string Format { get; init; }

    /// <summary>A C# identifier; the generated class is named <c>&lt;Name&gt;Compiled</c> by default.</summary>
    public required string Name { get; init; }

    /// <summary>Shape and fingerprint of the calibrated model.</summary>
    public required ProfileModel Model { get; init; }

    /// <summary>How the entropies were measured.</summary>
    public required ProfileCalibration Calibration { get; init; }

    /// <summary>Compression settings shared by all layers.</summary>
    public required ProfileCompression Compression { get; init; }

    /// <summary>Hidden-state stages, contiguous over the layers.</summary>
    public required IReadOnlyList<ProfileStage> Stages { get; init; }

    /// <summary>One entry per layer, layer i at index i.</summary>
    public required IReadOnlyList<ProfileLayer> Layers { get; init; }

    /// <summary>Cache units per layer: KV heads (kvHead) or query heads (queryHead).</summary>
    [JsonIgnore]
    public int UnitsPerLayer => Compression.Granularity == CacheGranularity.QueryHead ? Model.NumAttentionHeads : Model.NumKeyValueHeads;

    /// <summary>Σ of every budget of every layer (tokens).</summary>
    [JsonIgnore]
    public long TotalBudgetTokens => Layers.Sum(l => l.Budgets.Sum(b => (long)b));
}
