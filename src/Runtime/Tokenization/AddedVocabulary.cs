namespace UNComp.Runtime.Tokenization;

/// <summary>
/// Finds added tokens in text (leftmost match first, longest at a position, as HF's Aho-Corasick
/// <c>LeftmostLongest</c>), applying <c>single_word</c>, <c>lstrip</c> and <c>rstrip</c>.
/// </summary>
internal sealed class AddedVocabulary
{
    private readonly Dictionary<char, (string Pattern, AddedToken Token)[]> _byFirstChar = [];
    private readonly System.Buffers.SearchValues<char> _firstChars;

    public AddedVocabulary(IEnumerable<(string Pattern, AddedToken Token)> patterns)
    {
        foreach (var group in patterns.Where(p => p.Pattern.Length > 0).GroupBy(p => p.Pattern[0]))
        {
            // Longest first; among equal patterns the first added wins.
            _byFirstChar[group.Key] = [.. group.OrderByDescending(p => p.Pattern.Length)];
        }

        _firstChars = System.Buffers.SearchValues.Create([.. _byFirstChar.Keys]);
    }

    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>
    /// Splits <paramref name="text"/> into (start, end, token) segments covering it; token is null for plain text.
    /// </summary>
    public void Split(string text, List<(int Start, int End, AddedToken? Token)> segments)
    {
        if (IsEmpty || text.Length == 0)
        {
            segments.Add((0, text.Length, null));
            return;
        }

        var startOffset = 0;
        var searchFrom = 0;
        while (FindNext(text, searchFrom) is var (matchStart, matchEnd, token) && token is not null)
        {
            searchFrom = matchEnd;
            if (token.SingleWord)
            {
                var startSpace = matchStart == 0 || !IsWordChar(text, matchStart - 1, before: true);
                var stopSpace = matchEnd == text.Length || !IsWordChar(text, matchEnd, before: false);
                if (!startSpace || !stopSpace)
                {
                    continue;
                }
            }

            var start = matchStart;
            var stop = matchEnd;
            if (token.LeftStrip)
            {
                var newStart = start;
                while (newStart > 0 && char.IsWhiteSpace(text[newStart - 1]))
                {
                    newStart--;
                }

                start = Math.Max(newStart, startOffset);
            }

            if (token.RightStrip)
            {
                while (stop < text.Length && char.IsWhiteSpace(text[stop]))
                {
                    stop++;
                }
            }

            if (start > startOffset)
            {
                segments.Add((startOffset, start, null));
            }

            segments.Add((start, stop, token));
            startOffset = stop;
        }

        if (startOffset != text.Length)
        {
            segments.Add((startOffset, text.Length, null));
        }
    }

    private (int Start, int End, AddedToken? Token) FindNext(string text, int from)
    {
        for (var i = from; i < text.Length; i++)
        {
            var skip = text.AsSpan(i).IndexOfAny(_firstChars);
            if (skip < 0)
            {
                break;
            }

            i += skip;
            var candidates = _byFirstChar[text[i]];

            foreach (var (pattern, token) in candidates)
            {
                if (text.AsSpan(i).StartsWith(pattern, StringComparison.Ordinal))
                {
                    return (i, i + pattern.Length, token);
                }
            }
        }

        return (0, 0, null);
    }

    private static bool IsWordChar(string text, int index, bool before)
    {
        int codePoint;
        if (before && char.IsLowSurrogate(text[index]) && index > 0 && char.IsHighSurrogate(text[index - 1]))
        {
            codePoint = char.ConvertToUtf32(text[index - 1], text[index]);
        }
        else if (!before && char.IsHighSurrogate(text[index]) && index + 1 < text.Length
                 && char.IsLowSurrogate(text[index + 1]))
        {
            codePoint = char.ConvertToUtf32(text[index], text[index + 1]);
        }
        else
        {
            codePoint = text[index];
        }

        // Rust regex \w: alphabetic, marks, decimal digits, connector punctuation, joiners.
        if (codePoint is 0x200C or 0x200D)
        {
            return true;
        }

        var category = System.Globalization.CharUnicodeInfo.GetUnicodeCategory(codePoint);
        return category is <= System.Globalization.UnicodeCategory.EnclosingMark
            or System.Globalization.UnicodeCategory.DecimalDigitNumber
            or System.Globalization.UnicodeCategory.LetterNumber
            or System.Globalization.UnicodeCategory.ConnectorPunctuation;
    }
}
