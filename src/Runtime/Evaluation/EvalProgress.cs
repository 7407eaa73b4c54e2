namespace UNComp.Runtime.Evaluation;

/// <summary>Progress of an evaluation: runs are (sample, method, budget) triples.</summary>
/// <param name="RunsDone">Runs finished.</param>
/// <param name="RunsTotal">Runs in the grid.</param>
/// <param name="Current">What runs now, e.g. <c>needle L=1024 d=0.50 snapkv 5%</c>.</param>
public readonly record struct EvalProgress(int RunsDone, int RunsTotal, string Current);
