namespace UNComp.Runtime.Evaluation;

/// <summary>One generated prompt with its expected answer.</summary>
/// <param name="Task">The task.</param>
/// <param name="Index">Sample index within its task (and grid cell).</param>
/// <param name="TargetLength">Requested context length in tokens.</param>
/// <param name="Depth">Needle depth in [0, 1] (the pass key's and the asked key's depth for the other tasks).</param>
/// <param name="Tokens">Prompt token ids.</param>
/// <param name="Answer">The expected answer text: digits for passkey, needle and multi-key; the whole reference
/// continuation (e.g. <c>1234567, 7654321</c>) for the other tasks.</param>
public sealed record EvalSample(EvalTask Task, int Index, int TargetLength, double Depth, int[] Tokens, string Answer)
{
    /// <summary>
    /// What a correct output must contain, each as a whole word (several values, variable names or words);
    /// empty for single-answer tasks, which <see cref="AnswerScoring"/> scores by the answer alone.
    /// </summary>
    public IReadOnlyList<string> Items { get; init; } = [];
}
