namespace UNComp.Runtime.Evaluation;

/// <summary>Whether a generated continuation answers a sample.</summary>
public static class AnswerScoring
{
    /// <summary>
    /// Passkey, needle and multi-key: the first run of digits equals the answer. Free-text needle: the
    /// left-trimmed first line starts with the answer, not followed by a letter or digit (the fixture card's rule).
    /// Multi-item tasks: every item of <see cref="EvalSample.Items"/> occurs in the first line as a whole word.
    /// </summary>
    public static bool IsCorrect(EvalSample sample, string output)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(output);
        string line = output.TrimStart();
        int newline = line.IndexOf('\n', StringComparison.Ordinal);
        line = newline < 0 ? line : line[..newline];
        return sample.Task switch
        {
            EvalTask.Passkey or EvalTask.Needle or EvalTask.MultiKey => EvalRunner.FirstNumber(output) == sample.Answer,
            EvalTask.TextNeedle => line.StartsWith(sample.Answer, StringComparison.Ordinal)
                && (line.Length == sample.Answer.Length || !char.IsLetterOrDigit(line[sample.Answer.Length])),
            _ => sample.Items.Count > 0 && sample.Items.All(item => ContainsWord(line, item)),
        };
    }

    /// <summary>Whether <paramref name="word"/> occurs in <paramref name="text"/> with no letter or digit on either side.</summary>
    public static bool ContainsWord(string text, string word)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(word);
        for (int at = text.IndexOf(word, StringComparison.Ordinal); at >= 0; at = text.IndexOf(word, at + 1, StringComparison.Ordinal))
        {
            int end = at + word.Length;
            if ((at == 0 || !char.IsLetterOrDigit(text[at - 1])) && (end == text.Length || !char.IsLetterOrDigit(text[end])))
            {
                return true;
            }
        }

        return false;
    }
}
