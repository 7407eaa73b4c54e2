using UNComp.Runtime.Compression;

namespace UNComp.Generators.Tests.Infrastructure;

/// <summary>
/// A deterministic stand-in compression policy for equivalence tests: keep the most recent tokens, evict the
/// oldest. Both the compiled and the interpreted path get the same instance, so only the plumbing differs.
/// </summary>
internal sealed class KeepRecentPolicy : IKvCachePolicy
{
    public string Name => "keep-recent";

    public AttentionStatsRequest Request => AttentionStatsRequest.None;

    public void SelectPrefill(in PrefillSelectionContext context, Span<int> keep)
    {
        int first = context.Length - keep.Length;
        for (int i = 0; i < keep.Length; i++)
        {
            keep[i] = first + i;
        }
    }

    public int SelectDecodeEviction(in DecodeSelectionContext context)
    {
        int oldest = 0;
        for (int i = 1; i < context.Length; i++)
        {
            if (context.Positions[i] < context.Positions[oldest])
            {
                oldest = i;
            }
        }

        return oldest;
    }
}
