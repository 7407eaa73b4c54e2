namespace UNComp.Runtime.Compression;

/// <summary>
/// A KV-cache compression method (kvpress style: one small class per method). The engine computes the attention
/// statistics the policy asks for and calls it per (layer, unit) when tokens exceed a unit's capacity.
/// </summary>
public interface IKvCachePolicy
{
    /// <summary>Method name for reports, e.g. <c>uncomp</c>, <c>snapkv</c>, <c>full</c>.</summary>
    string Name { get; }

    /// <summary>Statistics the engine must compute for this policy.</summary>
    AttentionStatsRequest Request { get; }

    /// <summary>
    /// Called per layer and unit after prefill attention when the unit's token count exceeds its capacity. Fill
    /// <paramref name="keep"/> (length = Capacity) with strictly increasing token indices in [0, Length).
    /// </summary>
    void SelectPrefill(in PrefillSelectionContext context, Span<int> keep);

    /// <summary>
    /// Called during decode when a new token must enter a full unit. Return the slot in [0, Length) to evict; the
    /// new token is then appended. (To let a unit grow instead, reserve room in the layout: the policy is only
    /// called once the unit is full.)
    /// </summary>
    int SelectDecodeEviction(in DecodeSelectionContext context);

    /// <summary>
    /// How many prompt tokens a unit of <paramref name="capacity"/> keeps after prefill (default: the capacity).
    /// A policy whose units grow during decode (UNComp's "grow") returns less and leaves the rest as headroom;
    /// <see cref="SelectPrefill"/> then receives this count as its capacity.
    /// </summary>
    int PrefillKeep(int layer, int unit, int capacity) => capacity;
}
