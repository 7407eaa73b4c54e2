namespace UNComp.Runtime.Compression.Methods;

/// <summary>What a unit does when a decoded token arrives (<see cref="SelectionSpec.Decode"/>).</summary>
public enum DecodeMode
{
    /// <summary>
    /// The unit stays at its budget: once full, every new token evicts exactly one cached token, chosen by the
    /// spec's score over the eviction candidates (UNComp's default, SnapKV, H2O, StreamingLLM).
    /// </summary>
    Fixed,

    /// <summary>
    /// The unit's capacity includes decode headroom (<see cref="CompressionMethodPlan.GrowTokens"/>): prefill keeps
    /// capacity − headroom tokens, decode appends without eviction until the unit is full, then behaves as
    /// <see cref="Fixed"/> (UNComp's "grow").
    /// </summary>
    Grow,
}
