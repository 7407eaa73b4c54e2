namespace UNComp.Runtime.Compression;

/// <summary>Which attention statistics a <see cref="IKvCachePolicy"/> needs the engine to compute.</summary>
/// <param name="ObservationWindow">
/// w: the last w prompt queries whose attention probabilities are summed into
/// <see cref="PrefillSelectionContext.WindowScores"/>; also the number of recent queries the cache keeps per
/// query head for decode-time re-scoring. 0 = none.
/// </param>
/// <param name="NeedColumnSumsAllQueries">Compute <see cref="PrefillSelectionContext.ColumnSums"/> (every query's row).</param>
/// <param name="KeepAccumulatedScoresDuringDecode">
/// Keep an accumulated attention score per cached token and update it every decode step (H2O); prefill seeds it
/// with the all-query column sums.
/// </param>
public readonly record struct AttentionStatsRequest(
    int ObservationWindow,
    bool NeedColumnSumsAllQueries = false,
    bool KeepAccumulatedScoresDuringDecode = false)
{
    /// <summary>No statistics.</summary>
    public static AttentionStatsRequest None => default;
}
