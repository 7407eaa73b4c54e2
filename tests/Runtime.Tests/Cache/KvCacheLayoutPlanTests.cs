using UNComp.Runtime.Cache;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Tests.Cache;

/// <summary><see cref="KvCacheLayout.FromPlan"/> (the compiled buffer plan) and <see cref="KvCacheLayout.WithHeadroom"/>.</summary>
public class KvCacheLayoutPlanTests
{
    private static ModelConfig Config() => new()
    {
        Architecture = "LlamaForCausalLM", NumLayers = 2, HiddenSize = 16, NumAttentionHeads = 4, NumKeyValueHeads = 2,
        HeadDim = 4, IntermediateSize = 8, VocabSize = 10,
    };

    [Fact]
    public void FromPlan_EmittedOffsets_AreUsedAsGiven()
    {
        // A plan that pads unit (0, 1) by 8 elements: the layout keeps the padding instead of recomputing offsets.
        var layout = KvCacheLayout.FromPlan(Config(), [0, 12, 40, 48, 76], [3, 5, 2, 7]);

        Assert.Equal(12, layout.Offset(0, 1));
        Assert.Equal(40, layout.Offset(1, 0));
        Assert.Equal(48, layout.Offset(1, 1));
        Assert.Equal(76, layout.ElementsPerBuffer);
        Assert.Equal(17, layout.TotalCapacityTokens);
        Assert.Equal(7, layout.Capacity(1, 1));
    }

    [Fact]
    public void FromPlan_SameAsFromCapacities_ForContiguousOffsets()
    {
        var fromCapacities = KvCacheLayout.FromCapacities(Config(), [[3, 5], [2, 7]]);

        var fromPlan = KvCacheLayout.FromPlan(Config(), [0, 12, 32, 40, 68], [3, 5, 2, 7]);

        Assert.Equal(fromCapacities.ElementsPerBuffer, fromPlan.ElementsPerBuffer);
        Assert.Equal(fromCapacities.Offset(1, 1), fromPlan.Offset(1, 1));
        Assert.Equal(fromCapacities.QueryHeadsPerUnit, fromPlan.QueryHeadsPerUnit);
    }

    [Fact]
    public void FromPlan_UnitOverlappingTheNext_ThrowsNamingLayerAndUnit()
    {
        var error = Assert.Throws<ArgumentException>(() => KvCacheLayout.FromPlan(Config(), [0, 12, 30, 40, 68], [3, 5, 2, 7]));

        Assert.Contains("layer 0, unit 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPlan_WrongCounts_Throw()
    {
        Assert.Throws<ArgumentException>(() => KvCacheLayout.FromPlan(Config(), [0, 12, 32, 40], [3, 5, 2, 7]));
        Assert.Throws<ArgumentException>(() => KvCacheLayout.FromPlan(Config(), [0, 12, 32, 40, 68], [3, 5, 2]));
        Assert.Throws<ArgumentException>(() => KvCacheLayout.FromPlan(Config(), [0, 12, 32, 40, 68], [3, 5, 2, 7], CacheGranularity.QueryHead));
    }

    [Fact]
    public void WithHeadroom_AddsTokensToEveryUnitAndRelaysOut()
    {
        var layout = KvCacheLayout.FromCapacities(Config(), [[3, 5], [2, 7]]).WithHeadroom(4);

        Assert.Equal(7, layout.Capacity(0, 0));
        Assert.Equal(11, layout.Capacity(1, 1));
        Assert.Equal((7 + 9 + 6) * 4, layout.Offset(1, 1));
        Assert.Equal((17 + 16) * 4, layout.ElementsPerBuffer);
    }
}
