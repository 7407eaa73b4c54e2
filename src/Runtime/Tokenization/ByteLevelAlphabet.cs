namespace UNComp.Runtime.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character table: printable Latin-1 bytes map to themselves, the other 68 bytes
/// to U+0100 onwards, so every byte string becomes a string of visible characters.
/// </summary>
internal static class ByteLevelAlphabet
{
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>Inverse of <see cref="ByteToChar"/>; -1 for characters that are not in the alphabet.</summary>
    public static readonly short[] CharToByte = BuildCharToByte();

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)next++;
        }

        return table;
    }

    private static short[] BuildCharToByte()
    {
        var inverse = new short[512];
        Array.Fill(inverse, (short)-1);
        for (var b = 0; b < 256; b++)
        {
            inverse[ByteToChar[b]] = (short)b;
        }

        return inverse;
    }

    /// <summary>Maps the UTF-8 bytes of <paramref name="text"/> to alphabet characters.</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        var maxBytes = System.Text.Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> bytes = maxBytes <= 1024 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        var count = System.Text.Encoding.UTF8.GetBytes(text, bytes);
        Span<char> chars = count <= 1024 ? stackalloc char[count] : new char[count];
        for (var i = 0; i < count; i++)
        {
            chars[i] = ByteToChar[bytes[i]];
        }

        return new string(chars);
    }
}
