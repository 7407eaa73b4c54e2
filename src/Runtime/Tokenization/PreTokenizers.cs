using System.Globalization;
using System.Text.RegularExpressions;

namespace UNComp.Runtime.Tokenization;

/// <summary>A tokenizer.json pre-tokenizer: splits a piece into smaller pieces (and may rewrite them).</summary>
internal abstract class PreTokenizer
{
    public abstract void Split(TextPiece piece, List<TextPiece> output);
}

/// <summary>What happens to the matched part of a split (HF <c>SplitDelimiterBehavior</c>).</summary>
internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}

internal sealed class SequencePreTokenizer(PreTokenizer[] steps) : PreTokenizer
{
    public override void Split(TextPiece piece, List<TextPiece> output)
    {
        List<TextPiece> current = [piece];
        foreach (var step in steps)
        {
            var next = new List<TextPiece>(current.Count * 2);
            foreach (var p in current)
            {
                step.Split(p, next);
            }

            current = next;
        }

        output.AddRange(current);
    }
}

/// <summary>Split on a literal, a known regex (hand-written scanner) or any other regex (.NET Regex).</summary>
internal sealed class SplitPreTokenizer(
    string? literal, SplitPatternScanner? scanner, Regex? regex, SplitBehavior behavior, bool invert) : PreTokenizer
{
    public override void Split(TextPiece piece, List<TextPiece> output)
    {
        var text = piece.Text;
        var splits = new List<(int Start, int End, bool IsMatch)>();
        if (scanner is not null)
        {
            var matches = new List<(int Start, int End)>();
            scanner.FindMatches(text, matches);
            AddMatches(text.Length, matches, splits);
        }
        else if (regex is not null)
        {
            var matches = new List<(int Start, int End)>();
            foreach (Match m in regex.Matches(text))
            {
                matches.Add((m.Index, m.Index + m.Length));
            }

            AddMatches(text.Length, matches, splits);
        }
        else
        {
            var matches = new List<(int Start, int End)>();
            if (literal!.Length > 0)
            {
                for (var at = text.IndexOf(literal, StringComparison.Ordinal); at >= 0;
                     at = text.IndexOf(literal, at + literal.Length, StringComparison.Ordinal))
                {
                    matches.Add((at, at + literal.Length));
                }
            }

            AddMatches(text.Length, matches, splits);
        }

        if (invert)
        {
            for (var i = 0; i < splits.Count; i++)
            {
                splits[i] = splits[i] with { IsMatch = !splits[i].IsMatch };
            }
        }

        SplitRules.Emit(piece, splits, behavior, output);
    }

    private static void AddMatches(int length, List<(int Start, int End)> matches, List<(int, int, bool)> splits)
    {
        var previous = 0;
        foreach (var (start, end) in matches)
        {
            if (previous != start)
            {
                splits.Add((previous, start, false));
            }

            splits.Add((start, end, true));
            previous = end;
        }

        if (previous != length)
        {
            splits.Add((previous, length, false));
        }
    }
}

internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    public override void Split(TextPiece piece, List<TextPiece> output)
    {
        var text = piece.Text;
        if (addPrefixSpace && !text.StartsWith(' '))
        {
            text = " " + text;
        }

        if (!useRegex)
        {
            if (text.Length > 0)
            {
                output.Add(piece with { Text = ByteLevelAlphabet.Encode(text) });
            }

            return;
        }

        var matches = new List<(int Start, int End)>();
        SplitPatternScanner.Gpt2.FindMatches(text, matches);
        foreach (var (start, end) in matches)
        {
            output.Add(new TextPiece(ByteLevelAlphabet.Encode(text.AsSpan(start, end - start)), piece.AtStart && start == 0));
        }
    }
}

/// <summary>Prepend scheme of the Metaspace pre-tokenizer and decoder.</summary>
internal enum PrependScheme
{
    Always,
    First,
    Never,
}

internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split) : PreTokenizer
{
    public char Replacement => replacement;

    public PrependScheme Scheme => scheme;

    public override void Split(TextPiece piece, List<TextPiece> output)
    {
        var text = piece.Text.Replace(' ', replacement);
        var prepend = scheme == PrependScheme.Always || (scheme == PrependScheme.First && piece.AtStart);
        if (prepend && !text.StartsWith(replacement))
        {
            text = replacement + text;
        }

        var rewritten = piece with { Text = text };
        if (!split)
        {
            if (text.Length > 0)
            {
                output.Add(rewritten);
            }

            return;
        }

        SplitRules.Emit(rewritten, SplitRules.CharMatches(text, c => c == replacement), SplitBehavior.MergedWithNext, output);
    }
}

internal sealed class DigitsPreTokenizer(bool individualDigits) : PreTokenizer
{
    public override void Split(TextPiece piece, List<TextPiece> output)
    {
        var splits = SplitRules.CharMatches(piece.Text, static c => CharUnicodeInfo.GetUnicodeCategory(c)
            is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber);
        SplitRules.Emit(piece, splits, individualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous, output);
    }
}

internal sealed class WhitespaceSplitPreTokenizer : PreTokenizer
{
    public override void Split(TextPiece piece, List<TextPiece> output) =>
        SplitRules.Emit(piece, SplitRules.CharMatches(piece.Text, static c => c < 0x10000 && char.IsWhiteSpace((char)c)),
            SplitBehavior.Removed, output);
}

/// <summary>HF's split bookkeeping: matches per code point, and the delimiter behaviours.</summary>
internal static class SplitRules
{
    /// <summary>Each code point satisfying <paramref name="isMatch"/> is its own match (HF's char-predicate pattern).</summary>
    public static List<(int Start, int End, bool IsMatch)> CharMatches(string text, Func<int, bool> isMatch)
    {
        var splits = new List<(int, int, bool)>();
        var lastOffset = 0;
        for (var i = 0; i < text.Length;)
        {
            var codePoint = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])
                ? char.ConvertToUtf32(text[i], text[i + 1])
                : text[i];
            var width = codePoint > 0xFFFF ? 2 : 1;
            if (isMatch(codePoint))
            {
                if (lastOffset < i)
                {
                    splits.Add((lastOffset, i, false));
                }

                splits.Add((i, i + width, true));
                lastOffset = i + width;
            }

            i += width;
        }

        if (text.Length > lastOffset)
        {
            splits.Add((lastOffset, text.Length, false));
        }

        return splits;
    }

    public static void Emit(
        TextPiece piece, List<(int Start, int End, bool IsMatch)> splits, SplitBehavior behavior, List<TextPiece> output)
    {
        // (start, end, remove)
        var merged = new List<(int Start, int End, bool Remove)>(splits.Count);
        var previousMatch = false;
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                merged.AddRange(splits.Select(s => (s.Start, s.End, false)));
                break;
            case SplitBehavior.Removed:
                merged.AddRange(splits.Select(s => (s.Start, s.End, s.IsMatch)));
                break;
            case SplitBehavior.Contiguous:
                foreach (var s in splits)
                {
                    if (s.IsMatch == previousMatch && merged.Count > 0)
                    {
                        merged[^1] = merged[^1] with { End = s.End };
                    }
                    else
                    {
                        merged.Add((s.Start, s.End, false));
                    }

                    previousMatch = s.IsMatch;
                }

                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var s in splits)
                {
                    if (s.IsMatch && !previousMatch && merged.Count > 0)
                    {
                        merged[^1] = merged[^1] with { End = s.End };
                    }
                    else
                    {
                        merged.Add((s.Start, s.End, false));
                    }

                    previousMatch = s.IsMatch;
                }

                break;
            case SplitBehavior.MergedWithNext:
                for (var i = splits.Count - 1; i >= 0; i--)
                {
                    var s = splits[i];
                    if (s.IsMatch && !previousMatch && merged.Count > 0)
                    {
                        merged[^1] = merged[^1] with { Start = s.Start };
                    }
                    else
                    {
                        merged.Add((s.Start, s.End, false));
                    }

                    previousMatch = s.IsMatch;
                }

                merged.Reverse();
                break;
        }

        foreach (var (start, end, remove) in merged)
        {
            if (!remove && end > start)
            {
                output.Add(new TextPiece(piece.Text[start..end], piece.AtStart && start == 0));
            }
        }
    }
}
