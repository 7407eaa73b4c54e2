namespace UNComp.Runtime.Evaluation;

/// <summary>One generated prompt with its expected answer.</summary>
/// <param name="Task">The task.</param>
/// <param name="Index">Sample index within its task (and grid cell).</param>
/// <param name="TargetLength">Requested context length in tokens.</param>
/// <param name="Depth">Needle depth in [0, 1] (the pass key's and the asked key's depth for the other tasks).</param>
/// <param name="Tokens">Prompt token ids.</param>
/// <param name="Answer">The expected answer text (digits).</param>
public sealed record EvalSample(EvalTask Task, int Index, int TargetLength, double Depth, int[] Tokens, string Answer);
