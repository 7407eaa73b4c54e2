using System.Buffers;
using System.Text;
using System.Text.Json;
using UNComp.Runtime.Tokenization;
using MLTokenizers = Microsoft.ML.Tokenizers;

namespace UNComp.Runtime.Tests.Tokenization;

/// <summary>The tokenizer through the Microsoft.ML.Tokenizers abstraction: same ids as HF, offsets, counting, decoding.</summary>
public sealed class MicrosoftMLTokenizerTests
{
    public static TheoryData<string> Names() => new() { "gpt2", "llama2", "llama3", "trained" };

    [Theory]
    [MemberData(nameof(Names))]
    public void Ids_and_counts_through_the_abstraction_equal_hf_goldens(string name)
    {
        MLTokenizers.Tokenizer plain = TokenizerFixtures.Load(name).AsMicrosoftMLTokenizer();
        MLTokenizers.Tokenizer withSpecial = TokenizerFixtures.Load(name).AsMicrosoftMLTokenizer(addSpecialTokens: true);
        var golden = TokenizerFixtures.Golden(name).ToDictionary(g => g.Id);
        foreach (var item in TokenizerFixtures.Corpus)
        {
            var expected = golden[item.Id];
            Assert.Equal(expected.WithoutSpecial, plain.EncodeToIds(item.Text));
            Assert.Equal(expected.WithSpecial, withSpecial.EncodeToIds(item.Text));
            Assert.Equal(expected.WithoutSpecial.Length, plain.CountTokens(item.Text));
            Assert.Equal(expected.WithSpecial.Length, withSpecial.CountTokens(item.Text));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Encoded_tokens_carry_ids_values_and_ordered_offsets_within_the_text(string name)
    {
        var inner = TokenizerFixtures.Load(name);
        MLTokenizers.Tokenizer tokenizer = inner.AsMicrosoftMLTokenizer(addSpecialTokens: true);
        foreach (var item in TokenizerFixtures.Corpus.Where(c => c.Text.Length < 2000))
        {
            var tokens = tokenizer.EncodeToTokens(item.Text, out string? normalized);
            Assert.Null(normalized);
            Assert.Equal(tokenizer.EncodeToIds(item.Text), tokens.Select(t => t.Id).ToList());
            int previousStart = 0;
            foreach (var t in tokens)
            {
                var (start, length) = t.Offset.GetOffsetAndLength(item.Text.Length);
                Assert.InRange(start, previousStart, item.Text.Length);
                Assert.InRange(length, 0, item.Text.Length - start);
                Assert.Equal(inner.IdToToken(t.Id), t.Value);
                previousStart = start;
            }
        }
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama3")]
    public void Byte_level_offsets_cover_exactly_the_text_each_token_decodes_to(string name)
    {
        var inner = TokenizerFixtures.Load(name);
        var tokenizer = inner.AsMicrosoftMLTokenizer();
        int checkedTokens = 0;
        foreach (var item in TokenizerFixtures.Corpus.Where(c => c.Text.Length < 2000 && c.Text == c.HfText))
        {
            foreach (var t in tokenizer.EncodeToTokens(item.Text, out _))
            {
                string decoded = inner.Decode([t.Id]);
                if (!decoded.Contains('\uFFFD', StringComparison.Ordinal))
                {
                    Assert.Equal(decoded, item.Text[t.Offset]);
                    checkedTokens++;
                }
            }
        }

        Assert.True(checkedTokens > 10_000, $"only {checkedTokens} tokens checked");
    }

    [Fact]
    public void Metaspace_offsets_skip_the_prepended_space()
    {
        var tokenizer = TokenizerFixtures.Load("llama2").AsMicrosoftMLTokenizer(addSpecialTokens: true);
        var tokens = tokenizer.EncodeToTokens("Hello world", out _);
        Assert.Equal(new Range(0, 0), tokens[0].Offset); // <s>
        Assert.Equal("Hello world", string.Concat(tokens.Select(t => "Hello world"[t.Offset])));
        Assert.Equal(0, tokens[1].Offset.Start.Value);
    }

    [Fact]
    public void Index_by_token_count_cuts_at_a_token_boundary_from_either_end()
    {
        MLTokenizers.Tokenizer tokenizer = TokenizerFixtures.Load("gpt2").AsMicrosoftMLTokenizer();
        const string text = "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs.";
        var ids = tokenizer.EncodeToIds(text);
        int index = tokenizer.GetIndexByTokenCount(text, 5, out _, out int count);
        Assert.Equal(5, count);
        Assert.Equal(ids.Take(5), tokenizer.EncodeToIds(text[..index]));
        int fromEnd = tokenizer.GetIndexByTokenCountFromEnd(text, 4, out _, out int endCount);
        Assert.Equal(4, endCount);
        Assert.Equal(ids.TakeLast(4), tokenizer.EncodeToIds(text[fromEnd..]));
        var truncated = tokenizer.EncodeToIds(text, 3, out _, out int consumed);
        Assert.Equal(ids.Take(3), truncated);
        Assert.Equal(tokenizer.GetIndexByTokenCount(text, 3, out _, out _), consumed);
    }

    [Fact]
    public void Decode_into_a_short_span_reports_the_prefix_that_fits()
    {
        var tokenizer = TokenizerFixtures.Load("gpt2").AsMicrosoftMLTokenizer();
        var ids = tokenizer.EncodeToIds("Hello brave new world");
        Assert.Equal("Hello brave new world", tokenizer.Decode(ids));
        Span<char> buffer = stackalloc char[12];
        Assert.Equal(OperationStatus.DestinationTooSmall, tokenizer.Decode(ids, buffer, out int idsConsumed, out int written));
        Assert.Equal("Hello brave", buffer[..written].ToString());
        Assert.Equal(2, idsConsumed);
    }

    [Fact]
    public void Microsoft_codegen_bpe_from_the_same_vocab_and_merges_gives_the_same_ids_outside_space_runs()
    {
        using var doc = JsonDocument.Parse(TokenizerFixtures.Source("gpt2"));
        var model = doc.RootElement.GetProperty("model");
        using var vocab = new MemoryStream(Encoding.UTF8.GetBytes(model.GetProperty("vocab").GetRawText()));
        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var m in model.GetProperty("merges").EnumerateArray())
        {
            merges.Append(m.ValueKind == JsonValueKind.String ? m.GetString() : $"{m[0].GetString()} {m[1].GetString()}").Append('\n');
        }

        using var mergesStream = new MemoryStream(Encoding.UTF8.GetBytes(merges.ToString()));
        var microsoft = MLTokenizers.CodeGenTokenizer.Create(vocab, mergesStream, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
        var ours = TokenizerFixtures.Load("gpt2");
        // CodeGen adds its own tokens for runs of spaces (ids above GPT-2's 50,256), so texts with "  " differ by design.
        var english = TokenizerFixtures.Corpus.Where(c => c.Text.Length is > 0 and < 2000 && c.Text.All(ch => ch is >= ' ' and <= '~')
            && !c.Text.Contains("  ", StringComparison.Ordinal)).ToList();
        Assert.True(english.Count > 100);
        Assert.All(english, c => Assert.Equal(ours.EncodeToIds(c.Text, addSpecialTokens: false), microsoft.EncodeToIds(c.Text)));
    }
}
