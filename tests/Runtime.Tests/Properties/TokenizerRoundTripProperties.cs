using System.Text;
using FsCheck.Xunit;
using UNComp.Runtime.Tests.Tokenization;

namespace UNComp.Runtime.Tests.Properties;

/// <summary>
/// FsCheck properties of the byte-level tokenizers: any Unicode text decodes back to itself, the ids stay inside
/// the vocabulary, and encoding is a function of the text (the merge cache never changes an answer).
/// </summary>
public class TokenizerRoundTripProperties
{
    [Property(MaxTest = 300)]
    public void ByteLevel_AnyText_DecodesBackExactly(int[] codePoints, bool asciiHeavy)
    {
        string text = TextFrom(codePoints, asciiHeavy);
        foreach (string name in new[] { "gpt2", "llama3", "fixture-llama" })
        {
            var tokenizer = TokenizerFixtures.Load(name);
            var ids = tokenizer.EncodeToIds(text, addSpecialTokens: false);

            Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
            Assert.Equal(text, tokenizer.Decode(ids, skipSpecialTokens: false));
            Assert.Equal(ids, tokenizer.EncodeToIds(text, addSpecialTokens: false));
        }
    }

    [Property(MaxTest = 200)]
    public void ByteLevel_ConcatenationOfDecodedPieces_EqualsWholeDecode(int[] codePoints)
    {
        var tokenizer = TokenizerFixtures.Load("gpt2");
        string text = TextFrom(codePoints, asciiHeavy: true);
        var ids = tokenizer.EncodeToIds(text, addSpecialTokens: false);
        var stream = tokenizer.CreateStreamDecoder(skipSpecialTokens: false);

        string streamed = string.Concat(ids.Select(stream.Append));

        Assert.Equal(text, streamed);
    }

    /// <summary>Valid Unicode from arbitrary ints: scalars outside the surrogate range, ASCII-heavy when asked.</summary>
    private static string TextFrom(int[]? codePoints, bool asciiHeavy)
    {
        var sb = new StringBuilder();
        foreach (int raw in codePoints ?? [])
        {
            int v = raw & 0x7fffffff;
            int cp = asciiHeavy && v % 4 != 0 ? 0x20 + (v % 0x5f) : v % 0x110000;
            if (cp is >= 0xD800 and <= 0xDFFF)
            {
                cp = 0xFFFD - 1;
            }

            sb.Append(char.ConvertFromUtf32(cp));
        }

        return sb.ToString();
    }
}
