using System.Text;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;
using UNComp.Runtime.Tests.Generation;
using UNComp.Runtime.Tokenization;

namespace UNComp.Runtime.Tests.Fuzzing;

/// <summary>One regression test per failure the mutation fuzzer found (docs/reliability.md lists them).</summary>
public class FuzzFindingTests
{
    private const string Vocab = """{"a": 0, "b": 1, "ab": 2}""";

    [Fact]
    public void Profile_NullLayerEntry_IsAProblemNotANullReference()
    {
        string json = FixtureProfile().Replace("\"layers\": [", "\"layers\": [null, ", StringComparison.Ordinal);

        var e = Assert.Throws<ProfileLoadException>(() => ProfileLoader.Parse(json, "p.uncomp.json"));

        Assert.Contains(e.Problems, p => p.Path == "$.layers[0]" && p.Message.Contains("is null", StringComparison.Ordinal));
    }

    [Fact]
    public void Profile_NullStageEntry_IsAProblemNotANullReference()
    {
        string json = FixtureProfile().Replace("\"stages\": [", "\"stages\": [null, ", StringComparison.Ordinal);

        var e = Assert.Throws<ProfileLoadException>(() => ProfileLoader.Parse(json, "p.uncomp.json"));

        Assert.Contains(e.Problems, p => p.Path == "$.stages[0]");
    }

    [Fact]
    public void Config_LoneSurrogateEscape_NamesTheField()
    {
        byte[] json = Encoding.UTF8.GetBytes("""{"architectures": ["LlamaForCausalLM"], "hidden_act": "\ud800"}""");

        var e = Assert.Throws<ModelFormatException>(() => ModelConfig.Parse(json, "c/config.json"));

        Assert.StartsWith("c/config.json: field '$.hidden_act'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SafetensorsHeader_InvalidUtf8InTensorName_NamesTheHeader()
    {
        byte[] header = [.. "{\"w"u8, 0xC3, 0x28, .. "\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}"u8];

        var e = Assert.Throws<ModelFormatException>(() => SafetensorsFile.ParseHeader("m.safetensors", header, 4));

        Assert.StartsWith("m.safetensors: header field", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokenizer_TokenIdAtIntMax_IsRejectedAtItsPath()
    {
        string json = """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 2147483647}, "merges": []}}""";

        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(json, "t.json"));

        Assert.Equal("$.model.vocab[\"b\"]", e.JsonPath);
    }

    [Fact]
    public void Tokenizer_UnkTokenMissingFromVocab_EncodeFailsNamingTheField()
    {
        var tokenizer = Tokenizer.FromJson($$$"""{"model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": ["a b"], "unk_token": "<unk>"}}""", "t.json");

        var e = Assert.Throws<TokenizerFormatException>(() => tokenizer.EncodeToIds("abz", addSpecialTokens: false));

        Assert.StartsWith("t.json: $.model.unk_token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokenizer_LoneSurrogateEscape_NamesThePath()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("""{"model": {"type": "BPE", "vocab": {"\udc00": 0}, "merges": []}}""", "t.json"));

        Assert.StartsWith("t.json: $.model.vocab", e.Message, StringComparison.Ordinal);
    }

    private static string FixtureProfile() => File.ReadAllText(Path.Combine(GoldenParityTests.RepoRoot()!, "profiles", "fixture-llama.uncomp.json"));
}
