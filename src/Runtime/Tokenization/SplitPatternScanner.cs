using System.Globalization;

namespace UNComp.Runtime.Tokenization;

/// <summary>
/// Hand-written matcher for the well-known GPT-2, Llama-3 and Qwen2 split regexes. .NET Regex works on UTF-16
/// code units, so <c>\p{L}</c> would not match astral letters (e.g. U+20000) as Rust's regex engines do; this
/// scanner walks code points and reproduces each pattern's alternation order and backtracking exactly.
/// </summary>
internal sealed class SplitPatternScanner
{
    /// <summary>The pattern ByteLevel uses with <c>use_regex: true</c>.</summary>
    public const string Gpt2Pattern =
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public const string Qwen2Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const byte Other = 0, Letter = 1, Number = 2, Space = 3, NewLine = 4;

    private static readonly byte[] BmpClasses = BuildBmpClasses();

    private readonly bool _gpt2;
    private readonly int _maxDigits;

    private SplitPatternScanner(bool gpt2, int maxDigits)
    {
        _gpt2 = gpt2;
        _maxDigits = maxDigits;
    }

    public static SplitPatternScanner Gpt2 { get; } = new(gpt2: true, int.MaxValue);

    /// <summary>A scanner for <paramref name="pattern"/>, or null when it is not one of the known patterns.</summary>
    public static SplitPatternScanner? TryCreate(string pattern) => pattern switch
    {
        Gpt2Pattern => Gpt2,
        Llama3Pattern => new SplitPatternScanner(gpt2: false, 3),
        Qwen2Pattern => new SplitPatternScanner(gpt2: false, 1),
        _ => null,
    };

    /// <summary>Appends (start, end) of every match in <paramref name="text"/>; matches cover the whole text.</summary>
    public void FindMatches(ReadOnlySpan<char> text, List<(int Start, int End)> matches)
    {
        var i = 0;
        while (i < text.Length)
        {
            var end = _gpt2 ? MatchGpt2(text, i) : MatchLlama3(text, i);
            matches.Add((i, end));
            i = end;
        }
    }

    private static int MatchGpt2(ReadOnlySpan<char> text, int i)
    {
        var c = text[i];
        if (c == '\'' && Contraction(text, i, ignoreCase: false) is > 0 and var length)
        {
            return i + length;
        }

        var start = i;
        if (c == ' ' && i + 1 < text.Length)
        {
            var next = ClassAt(text, i + 1, out _);
            if (next is Letter or Number or Other)
            {
                return Run(text, i + 1, next);
            }
        }

        var cls = ClassAt(text, start, out _);
        return cls is Letter or Number or Other ? Run(text, start, cls) : Whitespace(text, start);
    }

    private int MatchLlama3(ReadOnlySpan<char> text, int i)
    {
        var c = text[i];
        if (c == '\'' && Contraction(text, i, ignoreCase: true) is > 0 and var length)
        {
            return i + length;
        }

        var cls = ClassAt(text, i, out var width);
        if (cls == Letter)
        {
            return Run(text, i, Letter);
        }

        // [^\r\n\p{L}\p{N}]?\p{L}+ : one non-letter, non-number, non-newline code point before letters.
        if (cls is Other or Space && i + width < text.Length && ClassAt(text, i + width, out _) == Letter)
        {
            return Run(text, i + width, Letter);
        }

        if (cls == Number)
        {
            var end = i;
            for (var n = 0; n < _maxDigits && end < text.Length && ClassAt(text, end, out var w) == Number; n++)
            {
                end += w;
            }

            return end;
        }

        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        var punctuationStart = -1;
        if (cls == Other)
        {
            punctuationStart = i;
        }
        else if (c == ' ' && i + 1 < text.Length && ClassAt(text, i + 1, out _) == Other)
        {
            punctuationStart = i + 1;
        }

        if (punctuationStart >= 0)
        {
            var end = Run(text, punctuationStart, Other);
            while (end < text.Length && text[end] is '\r' or '\n')
            {
                end++;
            }

            return end;
        }

        // \s*[\r\n]+ : the whitespace run up to and including its last newline.
        var runEnd = i;
        var lastNewLine = -1;
        while (runEnd < text.Length && ClassAt(text, runEnd, out var w) is Space or NewLine)
        {
            if (text[runEnd] is '\r' or '\n')
            {
                lastNewLine = runEnd;
            }

            runEnd += w;
        }

        return lastNewLine >= 0 ? lastNewLine + 1 : Whitespace(text, i);
    }

    /// <summary>\s+(?!\S)|\s+ at <paramref name="i"/>, which is whitespace.</summary>
    private static int Whitespace(ReadOnlySpan<char> text, int i)
    {
        var end = i;
        var last = i;
        while (end < text.Length && ClassAt(text, end, out var w) is Space or NewLine)
        {
            last = end;
            end += w;
        }

        // Followed by a non-space: give the last whitespace character back, unless it is the only one.
        return end == text.Length || last == i ? end : last;
    }

    private static int Run(ReadOnlySpan<char> text, int i, byte cls)
    {
        while (i < text.Length && ClassAt(text, i, out var w) == cls)
        {
            i += w;
        }

        return i;
    }

    /// <summary>Length of 's 't 're 've 'm 'll 'd at <paramref name="i"/>, or 0.</summary>
    private static int Contraction(ReadOnlySpan<char> text, int i, bool ignoreCase)
    {
        if (i + 1 >= text.Length)
        {
            return 0;
        }

        var a = Fold(text[i + 1], ignoreCase);
        if (a is 's' or 't' or 'm' or 'd')
        {
            return 2;
        }

        if (i + 2 >= text.Length)
        {
            return 0;
        }

        var b = Fold(text[i + 2], ignoreCase);
        return (a, b) is ('r', 'e') or ('v', 'e') or ('l', 'l') ? 3 : 0;
    }

    private static char Fold(char c, bool ignoreCase)
    {
        if (!ignoreCase)
        {
            return c;
        }

        // Unicode simple case folding for the letters the contractions use: ſ (U+017F) folds to s.
        return c switch
        {
            >= 'A' and <= 'Z' => (char)(c + 32),
            '\u017F' => 's',
            _ => c,
        };
    }

    private static byte ClassAt(ReadOnlySpan<char> text, int i, out int width)
    {
        var c = text[i];
        if (!char.IsHighSurrogate(c) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
        {
            width = 1;
            return BmpClasses[c];
        }

        width = 2;
        return Classify(char.ConvertToUtf32(c, text[i + 1]));
    }

    private static byte[] BuildBmpClasses()
    {
        var table = new byte[65536];
        for (var c = 0; c < 65536; c++)
        {
            table[c] = c is >= 0xD800 and <= 0xDFFF ? Other : Classify(c);
        }

        return table;
    }

    private static byte Classify(int codePoint)
    {
        if (codePoint is '\r' or '\n')
        {
            return NewLine;
        }

        if (codePoint < 0x10000 && char.IsWhiteSpace((char)codePoint))
        {
            return Space;
        }

        return CharUnicodeInfo.GetUnicodeCategory(codePoint) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
            _ => Other,
        };
    }
}
