using UNComp.Runtime.Tokenization;

namespace UNComp.Runtime.Tests.Tokenization;

/// <summary>Malformed tokenizer.json files fail with the JSON path of the problem.</summary>
public class TokenizerFormatTests
{
    private const string Vocab = """{"a": 0, "b": 1, "ab": 2}""";

    private static string Json(string model = $$"""{"type": "BPE", "vocab": {{Vocab}}, "merges": ["a b"]}""",
        string preTokenizer = "null", string decoder = "null", string postProcessor = "null", string normalizer = "null") =>
        $$"""
        {"version": "1.0", "added_tokens": [], "normalizer": {{normalizer}}, "pre_tokenizer": {{preTokenizer}},
         "post_processor": {{postProcessor}}, "decoder": {{decoder}}, "model": {{model}}}
        """;

    [Theory]
    [InlineData("[\"a b\", 3]", "$.model.merges[1]", "expected \"a b\" or [\"a\",\"b\"]")]
    [InlineData("[\"a\"]", "$.model.merges[0]", "expected \"a b\" or [\"a\",\"b\"]")]
    [InlineData("[\"a b c\"]", "$.model.merges[0]", "expected \"a b\" or [\"a\",\"b\"]")]
    [InlineData("[[\"a\"]]", "$.model.merges[0]", "expected \"a b\" or [\"a\",\"b\"]")]
    [InlineData("[\"a x\"]", "$.model.merges[0]", "merge token \"x\" is not in $.model.vocab")]
    [InlineData("[\"b a\"]", "$.model.merges[0]", "merge result \"ba\" is not in $.model.vocab")]
    public void FromJson_BadMerge_NamesMergePath(string merges, string path, string problem)
    {
        var e = Assert.Throws<TokenizerFormatException>(() =>
            Tokenizer.FromJson(Json($$"""{"type": "BPE", "vocab": {{Vocab}}, "merges": {{merges}}}"""), "my.json"));
        Assert.Equal(path, e.JsonPath);
        Assert.StartsWith($"my.json: {path}: {problem}", e.Message);
    }

    [Fact]
    public void FromJson_VocabIdNotInteger_NamesVocabEntry()
    {
        var e = Assert.Throws<TokenizerFormatException>(() =>
            Tokenizer.FromJson(Json("""{"type": "BPE", "vocab": {"a": "zero"}, "merges": []}""")));
        Assert.Equal("$.model.vocab[\"a\"]", e.JsonPath);
        Assert.Contains("expected an integer, found a string", e.Message);
    }

    [Fact]
    public void FromJson_UnsupportedModel_NamesTypePath()
    {
        var e = Assert.Throws<TokenizerFormatException>(() =>
            Tokenizer.FromJson(Json("""{"type": "WordPiece", "vocab": {}}""")));
        Assert.Equal("$.model.type", e.JsonPath);
        Assert.Contains("only BPE", e.Message);
    }

    [Fact]
    public void FromJson_MissingModel_NamesModelPath()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("""{"added_tokens": []}"""));
        Assert.Equal("$.model", e.JsonPath);
        Assert.Contains("required value is missing", e.Message);
    }

    [Fact]
    public void FromJson_UnknownSplitBehavior_NamesBehaviorPath()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(Json(preTokenizer:
            """{"type": "Sequence", "pretokenizers": [{"type": "Digits"}, {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"}]}""")));
        Assert.Equal("$.pre_tokenizer.pretokenizers[1].behavior", e.JsonPath);
        Assert.Contains("unknown behavior \"Sideways\"", e.Message);
    }

    [Fact]
    public void FromJson_UnknownDecoder_NamesDecoderType()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(Json(decoder:
            """{"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "CTC"}]}""")));
        Assert.Equal("$.decoder.decoders[1].type", e.JsonPath);
    }

    [Fact]
    public void FromJson_TemplateWithUndefinedSpecial_NamesTemplateItem()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(Json(postProcessor:
            """{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}], "special_tokens": {}}""")));
        Assert.Equal("$.post_processor.single[0].SpecialToken.id", e.JsonPath);
    }

    [Fact]
    public void FromJson_StripDecoderContentTooLong_NamesContentPath()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(Json(decoder:
            """{"type": "Strip", "content": "ab", "start": 1, "stop": 0}""")));
        Assert.Equal("$.decoder.content", e.JsonPath);
    }

    [Fact]
    public void FromJson_NotJson_ReportsLine()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("{\n\"model\": ", "broken.json"));
        Assert.StartsWith("broken.json: $ (line", e.Message);
    }

    [Fact]
    public void FromJson_MergesAsArrays_SameAsStrings()
    {
        var fromStrings = Tokenizer.FromJson(Json());
        var fromArrays = Tokenizer.FromJson(Json($$"""{"type": "BPE", "vocab": {{Vocab}}, "merges": [["a", "b"]]}"""));
        Assert.Equal([2, 0], fromStrings.EncodeToIds("aba"));
        Assert.Equal(fromStrings.EncodeToIds("aba"), fromArrays.EncodeToIds("aba"));
    }
}
