using UNComp.Profiles;

namespace UNComp.Runtime.Profiles;

/// <summary>Values of <see cref="ProfileCompression.Granularity"/> (the vocabulary lives in src/Shared/ProfileFormatRules.cs, shared with the generator).</summary>
public static class CacheGranularity
{
    /// <summary>One cache (and budget) per KV head: real memory savings on GQA models (default).</summary>
    public const string KvHead = ProfileFormatRules.KvHead;

    /// <summary>One cache per query head, KV heads repeated: the authors' layout.</summary>
    public const string QueryHead = ProfileFormatRules.QueryHead;

    /// <summary>All accepted values.</summary>
    public static IReadOnlyList<string> All { get; } = Array.AsReadOnly(ProfileFormatRules.Granularities);
}

/// <summary>Values of <see cref="ProfileCalibration.Matrix"/>.</summary>
public static class EntropyMatrix
{
    /// <summary>Query vectors (default).</summary>
    public const string Query = ProfileFormatRules.MatrixQuery;

    /// <summary>Key vectors.</summary>
    public const string Key = ProfileFormatRules.MatrixKey;

    /// <summary>Value vectors.</summary>
    public const string Value = ProfileFormatRules.MatrixValue;

    /// <summary>All accepted values.</summary>
    public static IReadOnlyList<string> All { get; } = Array.AsReadOnly(ProfileFormatRules.Matrices);
}

/// <summary>Values of <see cref="ProfileCompression.Decode"/>.</summary>
public static class DecodePolicy
{
    /// <summary>Each head's cache stays at its budget: evict one entry per new token.</summary>
    public const string Fixed = ProfileFormatRules.DecodeFixed;

    /// <summary>Append without eviction.</summary>
    public const string Grow = ProfileFormatRules.DecodeGrow;

    /// <summary>All accepted values.</summary>
    public static IReadOnlyList<string> All { get; } = Array.AsReadOnly(ProfileFormatRules.DecodeModes);
}

/// <summary>Architectures a profile may name.</summary>
public static class ProfileArchitectures
{
    /// <summary>All accepted values.</summary>
    public static IReadOnlyList<string> All { get; } = Array.AsReadOnly(ProfileFormatRules.Architectures);
}
