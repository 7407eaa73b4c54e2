using UNComp.Runtime.Models;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Models;

public class ModelConfigTests
{
    private static ModelConfig LoadJson(TempDir dir, string json)
    {
        File.WriteAllText(dir.File("config.json"), json);
        return ModelConfig.Load(dir.File("config.json"));
    }

    private static ModelFormatException LoadError(TempDir dir, string json) =>
        Assert.Throws<ModelFormatException>(() => LoadJson(dir, json));

    [Fact]
    public void Load_LegacyLlama3Shape_ReadsEveryField()
    {
        using var dir = new TempDir();
        var c = LoadJson(dir, TinyModel.ConfigJson(new TinyModelSpec { Llama3Scaling = true, RopeTheta = 500000 }));
        Assert.Equal("LlamaForCausalLM", c.Architecture);
        Assert.Equal((2, 32, 4, 2, 8, 48, 40), (c.NumLayers, c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.IntermediateSize, c.VocabSize));
        Assert.Equal(1e-5, c.RmsNormEps);
        Assert.Equal(500000, c.RopeTheta);
        Assert.Equal(new RopeScaling(8, 1, 4, 16), c.RopeScaling);
        Assert.Equal(4096, c.MaxPositionEmbeddings);
        Assert.Equal(1, c.BosTokenId);
        Assert.Equal([2, 3], c.EosTokenIds);
        Assert.False(c.AttentionBias);
        Assert.False(c.TieWordEmbeddings);
    }

    [Fact]
    public void Load_Transformers5RopeParameters_ReadsThetaAndScaling()
    {
        using var dir = new TempDir();
        var c = LoadJson(dir, TinyModel.ConfigJson(new TinyModelSpec { Llama3Scaling = true, RopeParametersShape = true, RopeTheta = 123456 }));
        Assert.Equal(123456, c.RopeTheta);
        Assert.Equal(new RopeScaling(8, 1, 4, 16), c.RopeScaling);
    }

    [Fact]
    public void Load_Qwen2_HasQkvBiasNoOutputBiasAndTiedEmbeddings()
    {
        using var dir = new TempDir();
        var c = LoadJson(dir, TinyModel.ConfigJson(new TinyModelSpec { Architecture = "Qwen2ForCausalLM", Tied = true, SlidingWindow = 32 }));
        Assert.True(c.AttentionBias);
        Assert.False(c.AttentionOutputBias);
        Assert.True(c.TieWordEmbeddings);
        Assert.Null(c.SlidingWindow); // Qwen2 ignores sliding_window unless use_sliding_window is true
    }

    [Fact]
    public void Load_NoHeadDim_DerivesFromHiddenAndHeads()
    {
        using var dir = new TempDir();
        var c = LoadJson(dir, TinyModel.ConfigJson(new TinyModelSpec { WriteHeadDim = false, Hidden = 48, Heads = 4 }));
        Assert.Equal(12, c.HeadDim);
    }

    [Fact]
    public void Load_UnsupportedArchitecture_NamesFileFieldAndSupportedList()
    {
        using var dir = new TempDir();
        var ex = LoadError(dir, TinyModel.ConfigJson(new TinyModelSpec()).Replace("LlamaForCausalLM", "GPT2LMHeadModel"));
        Assert.Contains(dir.File("config.json"), ex.Message);
        Assert.Contains("'architectures'", ex.Message);
        Assert.Contains("\"GPT2LMHeadModel\" is not supported", ex.Message);
        Assert.Contains("LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM", ex.Message);
    }

    [Theory]
    [InlineData("\"num_hidden_layers\": 2,", "", "'num_hidden_layers': missing")]
    [InlineData("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3", "'num_key_value_heads': 3 does not divide")]
    [InlineData("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", "'hidden_act': \"gelu\" is not supported")]
    [InlineData("\"vocab_size\": 40", "\"vocab_size\": -1", "'vocab_size': expected a positive integer, found -1")]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}", "'rope_scaling.rope_type': \"yarn\" is not supported")]
    [InlineData("\"eos_token_id\": [2, 3]", "\"eos_token_id\": \"x\"", "'eos_token_id': expected an integer or an array")]
    [InlineData("\"head_dim\": 8", "\"head_dim\": 7", "'head_dim': 7 is odd")]
    public void Load_BadField_ErrorNamesFieldAndProblem(string find, string replace, string expected)
    {
        using var dir = new TempDir();
        string json = TinyModel.ConfigJson(new TinyModelSpec());
        Assert.Contains(find, json);
        var ex = LoadError(dir, json.Replace(find, replace));
        Assert.Contains(expected, ex.Message);
        Assert.Contains("config.json", ex.Message);
    }

    [Fact]
    public void Load_InvalidJson_SaysSo()
    {
        using var dir = new TempDir();
        var ex = LoadError(dir, "{ not json");
        Assert.Contains("invalid JSON", ex.Message);
    }

    [Fact]
    public void Load_MissingFile_NamesIt()
    {
        var ex = Assert.Throws<ModelFormatException>(() => ModelConfig.Load("/nonexistent/config.json"));
        Assert.Contains("/nonexistent/config.json: file not found", ex.Message);
    }

    [Fact]
    public void GenerationConfig_EosAsIntOrArray()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.json"), "{\"eos_token_id\": 7, \"bos_token_id\": 1}");
        File.WriteAllText(dir.File("b.json"), "{\"eos_token_id\": [7, 9]}");
        Assert.Equal([7], GenerationConfig.Load(dir.File("a.json")).EosTokenIds);
        Assert.Equal(1, GenerationConfig.Load(dir.File("a.json")).BosTokenId);
        Assert.Equal([7, 9], GenerationConfig.Load(dir.File("b.json")).EosTokenIds);
    }

    [Fact]
    public void LlamaModel_GenerationConfigOverridesConfigEos()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        File.WriteAllText(Path.Combine(tiny.Directory, "generation_config.json"), "{\"eos_token_id\": 5}");
        using var model = tiny.Load();
        Assert.Equal([5], model.GenerationConfig.EosTokenIds);
    }
}
