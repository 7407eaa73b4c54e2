namespace UNComp.Runtime.Generation;

/// <summary>Text checks of streamed generation (stop sequences, tool-call markers).</summary>
public static class TextMatching
{
    /// <summary>
    /// The longest tail of <paramref name="text"/> that is a proper prefix of one of <paramref name="sequences"/>: text a
    /// stream must hold back, since the next token may complete the sequence.
    /// </summary>
    public static int TrailingPrefixLength(string text, IReadOnlyList<string> sequences)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sequences);
        int held = 0;
        foreach (var sequence in sequences)
        {
            for (int k = Math.Min(sequence.Length - 1, text.Length); k > held; k--)
            {
                if (text.AsSpan(text.Length - k).SequenceEqual(sequence.AsSpan(0, k)))
                {
                    held = k;
                    break;
                }
            }
        }

        return held;
    }
}
