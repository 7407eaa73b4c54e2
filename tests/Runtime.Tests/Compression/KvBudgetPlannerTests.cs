using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Tests.Compression;

public class KvBudgetPlannerTests
{
    internal static ModelConfig Config(int layers = 6, int heads = 8, int kvHeads = 2, int headDim = 32) => new()
    {
        Architecture = "LlamaForCausalLM",
        NumLayers = layers,
        HiddenSize = heads * headDim,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        HeadDim = headDim,
        IntermediateSize = 64,
        VocabSize = 50,
    };

    [Theory]
    [InlineData(20.0)]
    [InlineData(51.2)]
    [InlineData(333.3)]
    public void EveryPlanner_TotalTokensEqualMeanTimesUnits(double mean)
    {
        var c = Config();
        long expected = (long)Math.Round(mean * 12, MidpointRounding.AwayFromZero);
        var relative = Enumerable.Range(0, 6).Select(l => (IReadOnlyList<int>)[100 + l, 300]).ToArray();
        foreach (var plan in new[] { KvBudgetPlanner.Uniform(c, mean), KvBudgetPlanner.Pyramid(c, mean), KvBudgetPlanner.Scaled(c, relative, mean) })
        {
            Assert.Equal(expected, plan.TotalTokens);
            Assert.Equal(expected * 32 * 2 * 4, plan.Bytes);
            Assert.Equal(plan.Bytes, plan.ToLayout().Bytes);
        }
    }

    [Fact]
    public void Pyramid_DecreasesWithDepth_LastLayerNearMeanOverBeta()
    {
        var plan = KvBudgetPlanner.Pyramid(Config(), 200, beta: 20);
        for (int l = 1; l < 6; l++)
        {
            Assert.True(plan.Capacity(l, 0) < plan.Capacity(l - 1, 0), $"layer {l}");
        }

        Assert.InRange(plan.Capacity(5, 0), 9, 11); // 200 / 20
        Assert.InRange(plan.Capacity(0, 0), 389, 391); // 2·200 − 10
    }

    [Fact]
    public void Scaled_KeepsRatiosOfProfileBudgets()
    {
        var relative = Enumerable.Range(0, 6).Select(_ => (IReadOnlyList<int>)[256, 512]).ToArray();
        var plan = KvBudgetPlanner.Scaled(Config(), relative, 96);
        Assert.All(plan.Capacities, row => Assert.Equal(new[] { 64, 128 }, row));
    }

    [Fact]
    public void MaxCapacity_CapsUnitsAndMovesExcessElsewhere()
    {
        var relative = Enumerable.Range(0, 6).Select(_ => (IReadOnlyList<int>)[1, 9]).ToArray();
        var plan = KvBudgetPlanner.Scaled(Config(), relative, 100, maxCapacity: 150);
        Assert.All(plan.Capacities, row => Assert.Equal(new[] { 50, 150 }, row));
    }

    [Fact]
    public void QueryHeadGranularity_PlansOneUnitPerQueryHead()
    {
        var plan = KvBudgetPlanner.Uniform(Config(), 10, CacheGranularity.QueryHead);
        Assert.Equal(48, plan.Units);
        Assert.Equal(8, plan.ToLayout().UnitsPerLayer);
    }

    [Fact]
    public void MeanBelowOne_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KvBudgetPlanner.Uniform(Config(), 0.5));
    }
}
