using System.Text;

namespace UNComp.Runtime.Tokenization;

/// <summary>
/// Finds the input characters each token of a segment came from by matching the tokens' bytes against the segment's
/// UTF-8 bytes: byte-level tokens (GPT-2, Llama 3, Qwen2) map their alphabet characters back to bytes, SentencePiece
/// tokens turn ▁ into a space (a prepended one covers nothing) and &lt;0xXX&gt; into its byte. A token that splits a
/// multi-byte character covers the whole character, as in HF tokenizers. Exact unless a normalizer rewrites text
/// (lowercase, NFKC): there a mismatching token is given the next bytes of its own length.
/// </summary>
internal static class OffsetAligner
{
    public static void Align(string text, int start, int end, ReadOnlySpan<int> ids, Func<int, (string Token, bool Added)> lookup, bool byteLevel, List<TokenOffset> output)
    {
        var segment = text.AsSpan(start, end - start);
        byte[] bytes = Encoding.UTF8.GetBytes(segment.ToArray());
        int[] charOfByte = CharIndexOfEachByte(segment, bytes.Length);
        int p = 0;
        foreach (int id in ids)
        {
            var (token, added) = lookup(id);
            byte[] surface = Surface(token, added, byteLevel);
            int from = p, length;
            if (Matches(bytes, p, surface, 0))
            {
                length = surface.Length;
            }
            else if (surface.Length > 0 && surface[0] == (byte)' ' && Matches(bytes, p, surface, 1))
            {
                length = surface.Length - 1;
            }
            else
            {
                length = Math.Min(surface.Length, bytes.Length - p);
            }

            p += length;
            output.Add(ToChars(id, start, from, length, charOfByte, segment));
        }
    }

    private static TokenOffset ToChars(int id, int segmentStart, int fromByte, int byteLength, int[] charOfByte, ReadOnlySpan<char> segment)
    {
        if (byteLength == 0 || fromByte >= charOfByte.Length)
        {
            int at = fromByte >= charOfByte.Length ? segment.Length : charOfByte[fromByte];
            return new TokenOffset(id, segmentStart + at, 0);
        }

        int first = charOfByte[fromByte];
        int last = charOfByte[fromByte + byteLength - 1];
        int lastLength = char.IsHighSurrogate(segment[last]) && last + 1 < segment.Length ? 2 : 1;
        return new TokenOffset(id, segmentStart + first, last + lastLength - first);
    }

    private static int[] CharIndexOfEachByte(ReadOnlySpan<char> segment, int byteCount)
    {
        var map = new int[byteCount];
        int b = 0;
        for (int i = 0; i < segment.Length && b < byteCount; i++)
        {
            bool pair = char.IsHighSurrogate(segment[i]) && i + 1 < segment.Length && char.IsLowSurrogate(segment[i + 1]);
            int n = pair ? 4 : segment[i] < 0x80 ? 1 : segment[i] < 0x800 ? 2 : 3;
            for (int k = 0; k < n && b < byteCount; k++)
            {
                map[b++] = i;
            }

            i += pair ? 1 : 0;
        }

        return map;
    }

    private static bool Matches(byte[] bytes, int at, byte[] surface, int skip)
    {
        int n = surface.Length - skip;
        return n > 0 && at + n <= bytes.Length && bytes.AsSpan(at, n).SequenceEqual(surface.AsSpan(skip));
    }

    private static byte[] Surface(string token, bool added, bool byteLevel)
    {
        if (added)
        {
            return Encoding.UTF8.GetBytes(token);
        }

        if (byteLevel)
        {
            var result = new byte[token.Length];
            for (int i = 0; i < token.Length; i++)
            {
                char c = token[i];
                short b = c < ByteLevelAlphabet.CharToByte.Length ? ByteLevelAlphabet.CharToByte[c] : (short)-1;
                if (b < 0)
                {
                    return Encoding.UTF8.GetBytes(token);
                }

                result[i] = (byte)b;
            }

            return result;
        }

        if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out byte single))
        {
            return [single];
        }

        return Encoding.UTF8.GetBytes(token.Replace('\u2581', ' '));
    }
}
