using System.Text;
using UNComp.Runtime.Tokenization;

namespace UNComp.Runtime.Tests.Tokenization;

/// <summary>Ids and decoded text identical to HF tokenizers 0.23.2 on the whole parity corpus.</summary>
public class TokenizerParityTests
{
    /// <summary>Every tokenizer with a golden file (gpt2, llama2, llama3, and any added later, e.g. fixture-llama).</summary>
    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var golden in Directory.GetFiles(TokenizerFixtures.Directory, "*.golden.jsonl.gz").Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(golden)[..^".golden.jsonl.gz".Length]);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EncodeToIds_WholeCorpus_MatchesHfGoldenIds(string name)
    {
        var tokenizer = TokenizerFixtures.Load(name);
        var golden = TokenizerFixtures.Golden(name);
        var corpus = TokenizerFixtures.Corpus;
        Assert.Equal(corpus.Count, golden.Count);
        Assert.True(corpus.Count >= 5000);

        var failures = new StringBuilder();
        var failed = 0;
        for (var i = 0; i < corpus.Count; i++)
        {
            var item = corpus[i];
            var expected = golden[i];
            Assert.Equal(item.Id, expected.Id);
            var withSpecial = tokenizer.EncodeToIds(item.Text, addSpecialTokens: true);
            var withoutSpecial = tokenizer.EncodeToIds(item.Text, addSpecialTokens: false);
            if (!withSpecial.SequenceEqual(expected.WithSpecial) || !withoutSpecial.SequenceEqual(expected.WithoutSpecial))
            {
                if (failed++ < 8)
                {
                    failures.AppendLine($"#{item.Id} [{item.Category}] {Show(item.HfText)}")
                        .AppendLine($"  expected {string.Join(',', expected.WithoutSpecial)}")
                        .AppendLine($"  actual   {string.Join(',', withoutSpecial)}");
                }
            }
        }

        Assert.True(failed == 0, $"{name}: {failed} of {corpus.Count} strings differ from HF\n{failures}");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Decode_GoldenIds_MatchesHfDecode(string name)
    {
        var tokenizer = TokenizerFixtures.Load(name);
        var golden = TokenizerFixtures.Golden(name);
        var failures = new StringBuilder();
        var failed = 0;
        foreach (var expected in golden)
        {
            var decoded = tokenizer.Decode(expected.WithSpecial);
            var decodedSkip = tokenizer.Decode(expected.WithSpecial, skipSpecialTokens: true);
            if (decoded != expected.Decoded || decodedSkip != expected.DecodedSkipSpecial)
            {
                if (failed++ < 8)
                {
                    failures.AppendLine($"#{expected.Id} expected {Show(expected.Decoded)} / {Show(expected.DecodedSkipSpecial)}")
                        .AppendLine($"     actual   {Show(decoded)} / {Show(decodedSkip)}");
                }
            }
        }

        Assert.True(failed == 0, $"{name}: {failed} of {golden.Count} decodes differ from HF\n{failures}");
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama3")]
    [InlineData("trained")]
    public void Decode_ByteLevelEncode_RoundTripsText(string name)
    {
        var tokenizer = TokenizerFixtures.Load(name);
        foreach (var item in TokenizerFixtures.Corpus)
        {
            Assert.Equal(item.HfText, tokenizer.Decode(tokenizer.EncodeToIds(item.Text, addSpecialTokens: false)));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void StreamDecoder_AppendEveryId_ConcatenationEqualsDecode(string name)
    {
        var tokenizer = TokenizerFixtures.Load(name);
        var golden = TokenizerFixtures.Golden(name);
        for (var i = 0; i < golden.Count; i += 7)
        {
            var ids = golden[i].WithSpecial;
            var stream = tokenizer.CreateStreamDecoder();
            var text = new StringBuilder();
            foreach (var id in ids)
            {
                var piece = stream.Append(id);
                Assert.False(piece.Length > 0 && char.IsHighSurrogate(piece[^1]), "emitted half a character");
                text.Append(piece);
            }

            var full = tokenizer.Decode(ids);
            // A trailing incomplete UTF-8 sequence is held back, so the stream may end short of a final U+FFFD.
            Assert.Equal(full.TrimEnd('\uFFFD'), text.ToString().TrimEnd('\uFFFD'));
        }
    }

    private static string Show(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var rune in text.Length > 120 ? text[..120].EnumerateRunes() : text.EnumerateRunes())
        {
            builder.Append(rune.Value is < 0x20 or (>= 0x7F and < 0xA0) or 0xFFFD ? $"\\u{rune.Value:X4}" : rune.ToString());
        }

        return builder.Append(text.Length > 120 ? "\"…" : "\"").ToString();
    }
}
