using UNComp.Runtime.Tokenization;

namespace UNComp.Runtime.Tests.Tokenization;

/// <summary>Behaviour of single pipeline components on small hand-made tokenizers.</summary>
public class TokenizerComponentTests
{
    private static Tokenizer Make(string vocab, string merges = "[]", string preTokenizer = "null", string decoder = "null",
        string addedTokens = "[]", string normalizer = "null", string postProcessor = "null", string modelExtra = "") =>
        Tokenizer.FromJson($$$"""
            {"added_tokens": {{{addedTokens}}}, "normalizer": {{{normalizer}}}, "pre_tokenizer": {{{preTokenizer}}},
             "post_processor": {{{postProcessor}}}, "decoder": {{{decoder}}},
             "model": {"type": "BPE", "vocab": {{{vocab}}}, "merges": {{{merges}}} {{{modelExtra}}}}}
            """, "test.json");

    private static List<string> Emit(string text, string delimiter, SplitBehavior behavior, bool invert = false)
    {
        var output = new List<TextPiece>();
        new SplitPreTokenizer(delimiter, null, null, behavior, invert).Split(new TextPiece(text, true), output);
        return output.Select(p => p.Text).ToList();
    }

    [Theory]
    [InlineData("Removed", "a|b|c")]
    [InlineData("Isolated", "a|-|b|-|-|c")]
    [InlineData("MergedWithPrevious", "a-|b-|-|c")]
    [InlineData("MergedWithNext", "a|-b|-|-c")]
    [InlineData("Contiguous", "a|-|b|--|c")]
    public void SplitPreTokenizer_Behavior_SplitsLikeHf(string behavior, string expected) =>
        Assert.Equal(expected.Split('|'), Emit("a-b--c", "-", Enum.Parse<SplitBehavior>(behavior)));

    [Fact]
    public void SplitPreTokenizer_Invert_KeepsDelimitersOnly() =>
        Assert.Equal(["-", "-", "-"], Emit("a-b--c", "-", SplitBehavior.Removed, invert: true).SelectMany(s => s.Select(c => c.ToString())));

    [Theory]
    [InlineData("it's IT'S we'RE", "it|'s| IT|'S| we|'RE")]
    [InlineData("x  \n\n y", "x|  \n\n| y")]
    [InlineData("12345 a", "123|45| a")]
    [InlineData("𝐀𝐁 \U0001F600z", "𝐀𝐁| \U0001F600|z")]
    [InlineData("a\t\tb ", "a|\t|\tb| ")]
    public void SplitPatternScanner_Llama3_MatchesRegexSemantics(string text, string expected)
    {
        var matches = new List<(int Start, int End)>();
        SplitPatternScanner.TryCreate(SplitPatternScanner.Llama3Pattern)!.FindMatches(text, matches);
        Assert.Equal(expected.Split('|'), matches.Select(m => text[m.Start..m.End]));
    }

    [Theory]
    [InlineData("it's IT'S we'RE", "it|'s| IT|'|S| we|'|RE")]
    [InlineData("a   b", "a|  | b")]
    [InlineData("x\n", "x|\n")]
    public void SplitPatternScanner_Gpt2_MatchesRegexSemantics(string text, string expected)
    {
        var matches = new List<(int Start, int End)>();
        SplitPatternScanner.Gpt2.FindMatches(text, matches);
        Assert.Equal(expected.Split('|'), matches.Select(m => text[m.Start..m.End]));
    }

    [Theory]
    [InlineData("always", "a b", new[] { 3, 2, 1 })]
    [InlineData("never", "a b", new[] { 0, 2, 1 })]
    [InlineData("first", "<s>a b", new[] { 9, 0, 2, 1 })]
    [InlineData("first", "a b", new[] { 3, 2, 1 })]
    public void Metaspace_PrependScheme_PrependsReplacement(string scheme, string text, int[] expected)
    {
        var tokenizer = Make(
            """{"a": 0, "b": 1, "▁": 2, "▁a": 3, "<s>": 9}""", """["▁ a"]""",
            preTokenizer: $$"""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "{{scheme}}", "split": true}""",
            decoder: $$"""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "{{scheme}}", "split": true}""",
            addedTokens: """[{"id": 9, "content": "<s>", "special": true, "normalized": false}]""");
        Assert.Equal(expected, tokenizer.EncodeToIds(text));
        Assert.Equal(text.Replace("<s>", ""), tokenizer.Decode(tokenizer.EncodeToIds(text), skipSpecialTokens: true));
    }

    [Theory]
    [InlineData(true, new[] { 0, 1, 2, 3 })]
    [InlineData(false, new[] { 0, 5 })]
    public void Digits_IndividualDigits_IsolatesEachDigit(bool individual, int[] expected)
    {
        var tokenizer = Make("""{"a": 0, "1": 1, "2": 2, "3": 3, "12": 4, "123": 5}""", """["1 2", "12 3"]""",
            preTokenizer: $$"""{"type": "Digits", "individual_digits": {{(individual ? "true" : "false")}}}""");
        Assert.Equal(expected, tokenizer.EncodeToIds("a123"));
    }

    [Theory]
    [InlineData(true, new[] { 0, 9 })]
    [InlineData(false, new[] { 0, 9, 9, 9 })]
    public void Bpe_UnknownCharacters_FuseUnkJoinsThem(bool fuse, int[] expected)
    {
        var tokenizer = Make("""{"a": 0, "<unk>": 9}""",
            modelExtra: $$""", "unk_token": "<unk>", "fuse_unk": {{(fuse ? "true" : "false")}}""");
        Assert.Equal(expected, tokenizer.EncodeToIds("axyz"));
    }

    [Fact]
    public void Bpe_ContinuingSubwordPrefix_PrefixesInnerCharactersAndMerges()
    {
        var tokenizer = Make("""{"a": 0, "##b": 1, "ab": 2, "##a": 3}""", """["a ##b"]""",
            modelExtra: """, "continuing_subword_prefix": "##" """);
        Assert.Equal([2, 3], tokenizer.EncodeToIds("aba"));
    }

    [Fact]
    public void Bpe_EndOfWordSuffix_SuffixesLastCharacterAndMerges()
    {
        var tokenizer = Make("""{"a": 0, "b</w>": 1, "ab</w>": 2, "b": 3}""", """["a b</w>"]""",
            modelExtra: """, "end_of_word_suffix": "</w>" """);
        Assert.Equal([2], tokenizer.EncodeToIds("ab"));
        Assert.Equal([3, 2], tokenizer.EncodeToIds("bab"));
    }

    [Fact]
    public void EncodeToIds_ManyThreads_SameAsOneThread()
    {
        var tokenizer = TokenizerFixtures.Load("llama3");
        var texts = TokenizerFixtures.Corpus.Take(600).Select(c => c.Text).ToArray();
        var expected = texts.Select(t => tokenizer.EncodeToIds(t).ToArray()).ToArray();
        var actual = new int[texts.Length][];
        Parallel.For(0, texts.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            actual[i % texts.Length] = tokenizer.EncodeToIds(texts[i % texts.Length]).ToArray());
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }

    [Fact]
    public void Bpe_ByteFallback_UsesByteTokensAndDecodesThem()
    {
        var tokenizer = Make("""{"a": 0, "<unk>": 1, "<0xC3>": 2, "<0xA9>": 3}""",
            decoder: """{"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]}""",
            modelExtra: """, "unk_token": "<unk>", "byte_fallback": true""");
        Assert.Equal([0, 2, 3, 1], tokenizer.EncodeToIds("aé€"));
        Assert.Equal("aé<unk>", tokenizer.Decode([0, 2, 3, 1]));
        Assert.Equal("a\uFFFD\uFFFD", tokenizer.Decode([0, 3, 3]));
    }

    [Theory]
    [InlineData("always", "ab c")]
    [InlineData("never", " a▁b c")]
    public void MetaspaceDecoder_FirstToken_DropsEveryReplacementUnlessNever(string scheme, string expected)
    {
        var tokenizer = Make("""{"▁a▁b": 0, "▁c": 1}""",
            decoder: $$"""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "{{scheme}}", "split": true}""");
        Assert.Equal(expected.Replace("▁", " "), tokenizer.Decode([0, 1]));
    }

    [Fact]
    public void Decoders_StripAndReplace_ApplyPerToken()
    {
        var tokenizer = Make("""{"__a": 0, "b_": 1}""",
            decoder: """{"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "_"}, "content": " "}, {"type": "Strip", "content": " ", "start": 1, "stop": 1}]}""");
        Assert.Equal(" ab", tokenizer.Decode([0, 1]));
    }

    [Fact]
    public void AddedTokens_LeftAndRightStrip_SwallowWhitespace()
    {
        var tokenizer = Make("""{"a": 0, " ": 1, "b": 2}""",
            addedTokens: """[{"id": 5, "content": "<m>", "lstrip": true, "rstrip": true, "special": true, "normalized": false}]""");
        Assert.Equal([0, 5, 2], tokenizer.EncodeToIds("a  <m>  b"));
    }

    [Fact]
    public void AddedTokens_SingleWord_OnlyMatchesWholeWords()
    {
        var tokenizer = Make("""{"a": 0, " ": 1, "b": 2, "x": 3}""",
            addedTokens: """[{"id": 7, "content": "ab", "single_word": true, "special": false, "normalized": false}]""");
        Assert.Equal([7, 1, 3, 0, 2], tokenizer.EncodeToIds("ab xab"));
    }

    [Fact]
    public void AddedTokens_Normalized_MatchedAfterNormalizer()
    {
        var tokenizer = Make("""{"a": 0, "b": 1}""", normalizer: """{"type": "Lowercase"}""",
            addedTokens: """[{"id": 4, "content": "ab", "special": false, "normalized": true}]""");
        Assert.Equal([0, 4], tokenizer.EncodeToIds("AAB"));
    }

    [Fact]
    public void TemplateProcessing_AddSpecialTokens_WrapsSequence()
    {
        var tokenizer = Make("""{"<s>": 0, "</s>": 1, "a": 2}""",
            postProcessor: """{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}], "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}}""");
        Assert.Equal([0, 2, 2, 1], tokenizer.EncodeToIds("aa"));
        Assert.Equal([2, 2], tokenizer.EncodeToIds("aa", addSpecialTokens: false));
        Assert.Equal(4, tokenizer.CountTokens("aa"));
        Assert.Equal(0, tokenizer.BosTokenId);
        Assert.Equal(1, tokenizer.EosTokenId);
    }

    [Theory]
    [InlineData("gpt2", 50257, 50256, 50256)]
    [InlineData("llama2", 32000, 1, 2)]
    [InlineData("llama3", 128256, 128000, 128001)]
    public void Fixtures_SpecialIdsAndVocabSize_AreKnown(string name, int vocabSize, int bos, int eos)
    {
        var tokenizer = TokenizerFixtures.Load(name);
        Assert.Equal(vocabSize, tokenizer.VocabSize);
        Assert.Equal(bos, tokenizer.BosTokenId);
        Assert.Equal(eos, tokenizer.EosTokenId);
        Assert.Equal(bos, tokenizer.TokenToId(tokenizer.IdToToken(bos)!));
        Assert.Null(tokenizer.TokenToId("definitely not a token \u0001"));
        Assert.Null(tokenizer.IdToToken(-1));
    }

    [Fact]
    public void StreamDecoder_MultiByteCharacterOverByteTokens_EmittedOnlyWhenComplete()
    {
        var tokenizer = TokenizerFixtures.Load("llama2");
        var ids = tokenizer.EncodeToIds("a🤖b", addSpecialTokens: false);
        var stream = tokenizer.CreateStreamDecoder();
        var pieces = ids.Select(stream.Append).ToList();
        Assert.Equal("a🤖b", string.Concat(pieces));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
        Assert.Contains("🤖", pieces);
    }

    [Fact]
    public void Nfkc_WithIcu_NormalizesCompatibilityCharacters()
    {
        Assert.True(UnicodeNormalizer.IsAvailable, "tests run with ICU; NFC/NFKC parity depends on it");
        var tokenizer = Make("""{"f": 0, "i": 1, "1": 2}""", normalizer: """{"type": "NFKC"}""");
        Assert.Equal([0, 1, 2], tokenizer.EncodeToIds("\uFB01\u2460"));
    }

    [Fact]
    public void TokenCodec_EncodeDecode_SameAsTokenizer()
    {
        var tokenizer = TokenizerFixtures.Load("llama2");
        UNComp.Runtime.Generation.ITokenCodec codec = tokenizer;
        var ids = codec.Encode("Hello world", addSpecialTokens: true);
        Assert.Equal(tokenizer.EncodeToIds("Hello world"), ids);
        Assert.Equal(1, ids[0]);
        Assert.Equal("Hello world", codec.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void EncodeToIds_LoneSurrogate_EncodedAsReplacementCharacter()
    {
        var tokenizer = TokenizerFixtures.Load("gpt2");
        Assert.Equal(tokenizer.EncodeToIds("a\uFFFDb"), tokenizer.EncodeToIds("a\uD800b"));
        Assert.Equal(tokenizer.EncodeToIds("\uFFFD"), tokenizer.EncodeToIds("\uDC00"));
    }
}
