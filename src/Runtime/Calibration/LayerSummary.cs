namespace UNComp.Runtime.Calibration;

/// <summary>What planning needs to know about one layer after calibration.</summary>
/// <param name="MeanEntropy">Ĥ per query head, mean over samples.</param>
/// <param name="Score">Layer score s_l, mean over samples.</param>
/// <param name="QueryVotes">votes[queryHead][label]: how often the head fell in each quantile bucket.</param>
public sealed record LayerSummary(IReadOnlyList<double> MeanEntropy, double Score, IReadOnlyList<int[]> QueryVotes);
