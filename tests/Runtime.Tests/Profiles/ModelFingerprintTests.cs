using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Tests.Profiles;

public class ModelFingerprintTests
{
    private static readonly ModelConfig Dims = new()
    {
        Architecture = "LlamaForCausalLM", NumLayers = 1, HiddenSize = 8, NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 4,
        IntermediateSize = 12, VocabSize = 16, MaxPositionEmbeddings = 64,
    };

    private static readonly TensorDescriptor[] Tensors =
    [
        new("model.norm.weight", "F32", [8]),
        new("model.embed_tokens.weight", "BF16", [16, 8]),
        new("lm_head.weight", "F32", [16, 8]),
    ];

    [Fact]
    public void CanonicalText_SortsTensorsAndEndsEveryLineWithNewline()
    {
        Assert.Equal(
            "arch=LlamaForCausalLM\nlayers=1\nhidden=8\nheads=2\nkv_heads=1\nhead_dim=4\nvocab=16\n" +
            "lm_head.weight|F32|16,8\nmodel.embed_tokens.weight|BF16|16,8\nmodel.norm.weight|F32|8\n",
            ModelFingerprint.CanonicalText(Dims, Tensors));
    }

    [Fact]
    public void Compute_KnownInput_MatchesIndependentSha256()
    {
        // Value from Python hashlib.sha256 over the canonical text above.
        Assert.Equal("sha256:5e06b26a17dcb2e9f34359d011bbc2ed48eff1ceb66d2450cb507f08ce05f6bf", ModelFingerprint.Compute(Dims, Tensors));
    }

    [Fact]
    public void Compute_DifferentDtype_ChangesFingerprint()
    {
        var other = Tensors.Select(t => t.Name == "model.norm.weight" ? t with { DType = "F16" } : t);
        Assert.NotEqual(ModelFingerprint.Compute(Dims, Tensors), ModelFingerprint.Compute(Dims, other));
    }

    [Fact]
    public void EnsureMatches_Mismatch_PrintsBothValues()
    {
        var profile = TestProfiles.Build();
        string actual = ModelFingerprint.Compute(Dims, Tensors);
        var e = Assert.Throws<ModelFingerprintMismatchException>(() => ModelFingerprint.EnsureMatches(profile, actual, "p.uncomp.json", "models/x"));
        Assert.Contains(profile.Model.Fingerprint, e.Message, StringComparison.Ordinal);
        Assert.Contains(actual, e.Message, StringComparison.Ordinal);
        Assert.Contains("p.uncomp.json", e.Message, StringComparison.Ordinal);
        ModelFingerprint.EnsureMatches(profile, profile.Model.Fingerprint);
    }

    [Fact]
    public void StandardLlamaTensors_Llama2Shape_HasNineTensorsPerLayerPlusThree()
    {
        var tensors = ModelFingerprint.StandardLlamaTensors(ModelPresets.Llama2Chat7B);
        Assert.Equal(32 * 9 + 3, tensors.Count);
        Assert.All(tensors, t => Assert.Equal("F16", t.DType));
        Assert.Contains(tensors, t => t.Name == "model.layers.31.mlp.down_proj.weight" && t.Shape.SequenceEqual(new long[] { 4096, 11008 }));
    }
}
