using UNComp.Runtime.Generation;

namespace UNComp.Runtime.Evaluation;

/// <summary>Where a sample's answer sits in its prompt, in token positions.</summary>
public static class AnswerSpans
{
    /// <summary>
    /// Every occurrence of each answer item (or the answer) in the prompt tokens, as half-open [start, end)
    /// ranges. An item is searched as encoded with a leading space (as the templates write it after "is" or ":")
    /// and, failing that, bare (after a newline).
    /// </summary>
    public static IReadOnlyList<(int Start, int End)> Find(EvalSample sample, ITokenCodec codec)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(codec);
        var spans = new List<(int, int)>();
        var items = sample.Items.Count > 0 ? sample.Items : [sample.Answer];
        foreach (string item in items)
        {
            int before = spans.Count;
            foreach (string form in new[] { " " + item, item })
            {
                int[] needle = [.. codec.Encode(form, addSpecialTokens: false)];
                for (int at = IndexOf(sample.Tokens, needle, 0); at >= 0; at = IndexOf(sample.Tokens, needle, at + 1))
                {
                    spans.Add((at, at + needle.Length));
                }

                if (spans.Count > before)
                {
                    break;
                }
            }
        }

        return [.. spans.Distinct().OrderBy(s => s.Item1)];
    }

    private static int IndexOf(int[] haystack, int[] needle, int from)
    {
        if (needle.Length == 0)
        {
            return -1;
        }

        for (int i = from; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        return -1;
    }
}
