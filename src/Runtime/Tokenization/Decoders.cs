using System.Text;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace UNComp.Runtime.Tokenization;

/// <summary>A tokenizer.json decoder: turns token strings back into text pieces that are then concatenated.</summary>
internal abstract class TokenDecoder
{
    public abstract List<string> DecodeChain(List<string> tokens);
}

internal sealed class SequenceDecoder(TokenDecoder[] decoders) : TokenDecoder
{
    public IReadOnlyList<TokenDecoder> Steps => decoders;

    public override List<string> DecodeChain(List<string> tokens)
    {
        foreach (var decoder in decoders)
        {
            tokens = decoder.DecodeChain(tokens);
        }

        return tokens;
    }
}

/// <summary>Maps byte-level characters back to bytes and decodes them as UTF-8 (invalid bytes become U+FFFD).</summary>
internal sealed class ByteLevelDecoder : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            var mappable = true;
            foreach (var c in token)
            {
                if (c >= ByteLevelAlphabet.CharToByte.Length || ByteLevelAlphabet.CharToByte[c] < 0)
                {
                    mappable = false;
                    break;
                }
            }

            if (mappable)
            {
                foreach (var c in token)
                {
                    bytes.Add((byte)ByteLevelAlphabet.CharToByte[c]);
                }
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
            }
        }

        return [Encoding.UTF8.GetString(bytes.ToArray())];
    }
}

/// <summary>Consecutive <c>&lt;0xXX&gt;</c> tokens become UTF-8 text; invalid runs become one U+FFFD per byte.</summary>
internal sealed class ByteFallbackDecoder : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (var token in tokens)
        {
            if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
                && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b))
            {
                pending.Add(b);
                continue;
            }

            Flush(pending, output);
            output.Add(token);
        }

        Flush(pending, output);
        return output;
    }

    private static void Flush(List<byte> pending, List<string> output)
    {
        if (pending.Count == 0)
        {
            return;
        }

        var bytes = pending.ToArray();
        if (Utf8.IsValid(bytes))
        {
            output.Add(Encoding.UTF8.GetString(bytes));
        }
        else
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                output.Add("\uFFFD");
            }
        }

        pending.Clear();
    }
}

internal sealed class FuseDecoder : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing <c>content</c> characters of each token.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        foreach (var token in tokens)
        {
            var from = 0;
            while (from < start && from < token.Length && token[from] == content)
            {
                from++;
            }

            var to = token.Length;
            for (var i = 0; i < stop && to > from && token[to - 1] == content; i++)
            {
                to--;
            }

            output.Add(token[from..to]);
        }

        return output;
    }
}

internal sealed class ReplaceDecoder(string? literal, Regex? regex, string content) : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens) =>
        tokens.Select(t => ReplacePattern.Apply(t, literal, regex, content)).ToList();
}

/// <summary>
/// Replacement character back to spaces, except in the first token, where (unless the prepend scheme is
/// <c>never</c>) every replacement character is dropped, as HF does.
/// </summary>
internal sealed class MetaspaceDecoder(char replacement, PrependScheme scheme) : TokenDecoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            output.Add(i == 0 && scheme != PrependScheme.Never
                ? tokens[i].Replace(replacement.ToString(), string.Empty, StringComparison.Ordinal)
                : tokens[i].Replace(replacement, ' '));
        }

        return output;
    }
}
