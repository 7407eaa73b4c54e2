namespace UNComp.Runtime.Compression;

/// <summary>
/// The uncompressed cache: never evicts. Use it with a layout whose capacity covers prompt + generated tokens;
/// the engine reports a clear error if a unit would overflow.
/// </summary>
public sealed class FullCachePolicy : IKvCachePolicy
{
    /// <summary>A shared instance (the policy is stateless).</summary>
    public static FullCachePolicy Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "full";

    /// <inheritdoc />
    public AttentionStatsRequest Request => AttentionStatsRequest.None;

    /// <inheritdoc />
    public void SelectPrefill(in PrefillSelectionContext context, Span<int> keep) =>
        throw new InvalidOperationException(
            $"the full cache cannot hold {context.Length} prompt tokens in layer {context.Layer}, unit {context.Unit} (capacity {context.Capacity}); allocate a layout with capacity ≥ prompt + new tokens.");

    /// <inheritdoc />
    public int SelectDecodeEviction(in DecodeSelectionContext context) =>
        throw new InvalidOperationException(
            $"the full cache is full in layer {context.Layer}, unit {context.Unit} (capacity {context.Capacity}); allocate a layout with capacity ≥ prompt + new tokens.");
}
