namespace UNComp.Runtime.Cache;

/// <summary>What one cache unit (one independently budgeted key/value sequence) is.</summary>
public enum CacheGranularity
{
    /// <summary>One unit per KV head: the query heads of a GQA group share it (real memory savings; the default).</summary>
    KvHead,

    /// <summary>
    /// One unit per query head: each query head keeps its own copy of its KV head's keys and values, as the UNComp
    /// authors' code does after repeating KV heads (for fidelity comparisons; uses group-size times the memory).
    /// </summary>
    QueryHead,
}
