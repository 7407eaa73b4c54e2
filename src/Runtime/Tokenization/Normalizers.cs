using System.Text;
using System.Text.RegularExpressions;

namespace UNComp.Runtime.Tokenization;

/// <summary>A tokenizer.json normalizer: rewrites a text piece before pre-tokenization.</summary>
internal abstract class TextNormalizer
{
    public abstract string Normalize(string text);
}

internal sealed class UnicodeNormalizer(NormalizationForm form) : TextNormalizer
{
    /// <summary>
    /// False when the process runs in globalization-invariant mode, where .NET leaves non-ASCII text
    /// unnormalized without an error (normalization needs ICU on Linux).
    /// </summary>
    public static bool IsAvailable { get; } = "e\u0301".Normalize(NormalizationForm.FormC) == "\u00e9";

    public override string Normalize(string text) => text.IsNormalized(form) ? text : text.Normalize(form);
}

internal sealed class PrependNormalizer(string prepend) : TextNormalizer
{
    public override string Normalize(string text) => text.Length == 0 ? text : prepend + text;
}

/// <summary>Replace with a literal pattern, or a regex one (.NET Regex semantics).</summary>
internal sealed class ReplaceNormalizer(string? literal, Regex? regex, string content) : TextNormalizer
{
    public override string Normalize(string text) => ReplacePattern.Apply(text, literal, regex, content);
}

internal sealed class LowercaseNormalizer : TextNormalizer
{
    public override string Normalize(string text) => text.ToLowerInvariant();
}

internal sealed class StripNormalizer(bool left, bool right) : TextNormalizer
{
    public override string Normalize(string text) => (left, right) switch
    {
        (true, true) => text.Trim(),
        (true, false) => text.TrimStart(),
        (false, true) => text.TrimEnd(),
        _ => text,
    };
}

internal sealed class SequenceNormalizer(TextNormalizer[] normalizers) : TextNormalizer
{
    public override string Normalize(string text)
    {
        foreach (var normalizer in normalizers)
        {
            text = normalizer.Normalize(text);
        }

        return text;
    }
}

/// <summary>The shared Replace logic of the Replace normalizer and decoder.</summary>
internal static class ReplacePattern
{
    public static string Apply(string text, string? literal, Regex? regex, string content)
    {
        if (literal is not null)
        {
            return literal.Length == 0 ? text : text.Replace(literal, content, StringComparison.Ordinal);
        }

        return regex!.Replace(text, content.Replace("$", "$$", StringComparison.Ordinal));
    }
}
