namespace UNComp.Runtime.Profiles;

/// <summary>Values of <see cref="ProfileCompression.Granularity"/>.</summary>
public static class CacheGranularity
{
    /// <summary>One cache (and budget) per KV head: real memory savings on GQA models (default).</summary>
    public const string KvHead = "kvHead";

    /// <summary>One cache per query head, KV heads repeated: the authors' layout.</summary>
    public const string QueryHead = "queryHead";

    /// <summary>All accepted values.</summary>
    public static IReadOnlyList<string> All { get; } = [KvHead, QueryHead];
}

/// <summary>Values of <see cref="ProfileCalibration.Matrix"/>.</summary>
public static class EntropyMatrix
{
    /// <summary>Query vectors (default).</summary>
    public const string Query = "query";

    /// <summary>Key vectors.</summary>
    public const string Key = "key";

    /// <summary>Value vectors.</summary>
    public const string Value = "value";

    /// <summary>All accepted values.</summary>
    public static IReadOnlyList<string> All { get; } = [Query, Key, Value];
}

/// <summary>Values of <see cref="ProfileCompression.Decode"/>.</summary>
public static class DecodePolicy
{
    /// <summary>Each head's cache stays at its budget: evict one entry per new token.</summary>
    public const string Fixed = "fixed";

    /// <summary>Append without eviction.</summary>
    public const string Grow = "grow";

    /// <summary>All accepted values.</summary>
    public static IReadOnlyList<string> All { get; } = [Fixed, Grow];
}

/// <summary>Architectures a profile may name.</summary>
public static class ProfileArchitectures
{
    /// <summary>All accepted values.</summary>
    public static IReadOnlyList<string> All { get; } = ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"];
}
