namespace UNComp.Runtime.Compression;

/// <summary>
/// H2O (Zhang et al. 2023): heavy hitters by accumulated attention (column sums over every query) plus the most
/// recent tokens, half and half by default. Decode adds each step's attention to the sums and evicts the smallest
/// outside the recent part.
/// </summary>
public sealed class H2OPolicy : IKvCachePolicy
{
    /// <summary>Creates the policy.</summary>
    /// <param name="recentFraction">Share of each unit's capacity reserved for the most recent tokens (default 0.5).</param>
    public H2OPolicy(double recentFraction = 0.5)
    {
        if (!(recentFraction >= 0 && recentFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(recentFraction), recentFraction, "the recent fraction must be in [0, 1].");
        }

        RecentFraction = recentFraction;
    }

    /// <inheritdoc />
    public string Name => "h2o";

    /// <summary>Share of the capacity kept for recent tokens.</summary>
    public double RecentFraction { get; }

    /// <inheritdoc />
    public AttentionStatsRequest Request => new(0, NeedColumnSumsAllQueries: true, KeepAccumulatedScoresDuringDecode: true);

    /// <inheritdoc />
    public void SelectPrefill(in PrefillSelectionContext context, Span<int> keep)
    {
        int capacity = keep.Length;
        int recent = Recent(capacity);
        int prefix = context.Length - recent;
        TopKSelection.SelectInOrder(context.ColumnSums[..prefix], keep[..(capacity - recent)]);
        for (int i = 0; i < recent; i++)
        {
            keep[capacity - recent + i] = prefix + i;
        }
    }

    /// <inheritdoc />
    public int SelectDecodeEviction(in DecodeSelectionContext context)
    {
        int n = context.Length;

        // The new token is one of the recent ones, so n − (recent − 1) cached slots are candidates.
        int candidates = Math.Max(1, n - Math.Max(0, Recent(context.Capacity) - 1));
        return TopKSelection.ArgMin(context.AccumulatedScores[..candidates]);
    }

    private int Recent(int capacity) => Math.Clamp((int)Math.Round(capacity * RecentFraction, MidpointRounding.AwayFromZero), 1, capacity);
}
