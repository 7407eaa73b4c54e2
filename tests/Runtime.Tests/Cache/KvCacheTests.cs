using UNComp.Runtime.Cache;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Tests.Cache;

public class KvCacheTests
{
    private static ModelConfig Config() => new()
    {
        Architecture = "LlamaForCausalLM", NumLayers = 2, HiddenSize = 16, NumAttentionHeads = 4, NumKeyValueHeads = 2,
        HeadDim = 4, IntermediateSize = 8, VocabSize = 10,
    };

    private static float[] Vec(float v) => [v, v + 0.1f, v + 0.2f, v + 0.3f];

    [Fact]
    public void Layout_FromCapacities_OffsetsArePrefixSumsLayerMajor()
    {
        var layout = KvCacheLayout.FromCapacities(Config(), [[3, 5], [2, 7]]);
        Assert.Equal(0, layout.Offset(0, 0));
        Assert.Equal(12, layout.Offset(0, 1));
        Assert.Equal(32, layout.Offset(1, 0));
        Assert.Equal(40, layout.Offset(1, 1));
        Assert.Equal(17, layout.TotalCapacityTokens);
        Assert.Equal(17L * 4 * 2 * 4, layout.Bytes);
        Assert.Equal(7, layout.MaxCapacity);
        Assert.Equal(2, layout.QueryHeadsPerUnit);
    }

    [Fact]
    public void Layout_QueryHeadGranularity_HasOneUnitPerQueryHead()
    {
        var layout = KvCacheLayout.Full(Config(), 6, CacheGranularity.QueryHead);
        Assert.Equal(4, layout.UnitsPerLayer);
        Assert.Equal(1, layout.QueryHeadsPerUnit);
        Assert.Equal(1, layout.KvHeadOfUnit(3));
        Assert.Equal(0, layout.KvHeadOfUnit(1));
        Assert.Equal(2L * 4 * 6 * 4 * 2 * 4, layout.Bytes);
    }

    [Theory]
    [InlineData(new[] { 3 }, "expected 2 capacities")]
    [InlineData(new[] { 3, 0 }, "capacity 0 must be at least 1")]
    public void Layout_InvalidCapacities_Throw(int[] layer1, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => KvCacheLayout.FromCapacities(Config(), [[3, 3], layer1]));
        Assert.Contains(expected, ex.Message);
        Assert.Throws<ArgumentException>(() => KvCacheLayout.FromCapacities(Config(), [[3, 3]]));
    }

    [Fact]
    public void Append_UntilFull_ThenThrows()
    {
        using var cache = new KvCache(KvCacheLayout.FromCapacities(Config(), [[2, 2], [2, 2]]));
        cache.Append(0, 1, Vec(1), Vec(-1), 0);
        cache.Append(0, 1, Vec(2), Vec(-2), 3);
        Assert.Equal(2, cache.Length(0, 1));
        Assert.Equal([0, 3], cache.Positions(0, 1).ToArray());
        Assert.Equal(Vec(2), cache.Keys(0, 1).Slice(4, 4).ToArray());
        Assert.Equal(Vec(-2), cache.Values(0, 1).Slice(4, 4).ToArray());
        var ex = Assert.Throws<InvalidOperationException>(() => cache.Append(0, 1, Vec(3), Vec(3), 4));
        Assert.Contains("full", ex.Message);
        Assert.Equal(0, cache.Length(0, 0));
    }

    [Fact]
    public void Append_NonIncreasingPosition_Throws()
    {
        using var cache = new KvCache(KvCacheLayout.Full(Config(), 4));
        cache.Append(1, 0, Vec(1), Vec(1), 5);
        Assert.Throws<InvalidOperationException>(() => cache.Append(1, 0, Vec(1), Vec(1), 5));
    }

    [Fact]
    public void Compact_MovesKeptSlotsInPlaceWithPositionsAndScores()
    {
        using var cache = new KvCache(KvCacheLayout.Full(Config(), 5), trackAccumulatedScores: true);
        for (int i = 0; i < 5; i++)
        {
            cache.Append(1, 1, Vec(i), Vec(10 + i), i * 2, accumulatedScore: i);
        }

        cache.Compact(1, 1, [1, 3, 4]);
        Assert.Equal(3, cache.Length(1, 1));
        Assert.Equal([2, 6, 8], cache.Positions(1, 1).ToArray());
        Assert.Equal([1f, 3f, 4f], cache.AccumulatedScores(1, 1).ToArray());
        Assert.Equal(Vec(1).Concat(Vec(3)).Concat(Vec(4)), cache.Keys(1, 1).Slice(0, 12).ToArray());
        Assert.Equal(Vec(11).Concat(Vec(13)).Concat(Vec(14)), cache.Values(1, 1).Slice(0, 12).ToArray());
        cache.Append(1, 1, Vec(9), Vec(9), 9);
        Assert.Equal(4, cache.Length(1, 1));
    }

    [Theory]
    [InlineData(new[] { 2, 1 })]
    [InlineData(new[] { 0, 5 })]
    [InlineData(new[] { 1, 1 })]
    public void Compact_InvalidSlots_Throw(int[] keep)
    {
        using var cache = new KvCache(KvCacheLayout.Full(Config(), 5));
        for (int i = 0; i < 3; i++)
        {
            cache.Append(0, 0, Vec(i), Vec(i), i);
        }

        Assert.Throws<ArgumentException>(() => cache.Compact(0, 0, keep));
    }

    [Fact]
    public void RemoveAt_ShiftsLaterSlotsDown()
    {
        using var cache = new KvCache(KvCacheLayout.Full(Config(), 4));
        for (int i = 0; i < 4; i++)
        {
            cache.Append(0, 0, Vec(i), Vec(i), i);
        }

        cache.RemoveAt(0, 0, 1);
        Assert.Equal([0, 2, 3], cache.Positions(0, 0).ToArray());
        Assert.Equal(Vec(2), cache.Keys(0, 0).Slice(4, 4).ToArray());
    }

    [Fact]
    public void BytesInUse_CountsHeldTokensOnly_AndClearResets()
    {
        using var cache = new KvCache(KvCacheLayout.FromCapacities(Config(), [[3, 5], [2, 7]]));
        Assert.Equal(0, cache.BytesInUse);
        cache.Append(0, 0, Vec(1), Vec(1), 0);
        cache.Append(1, 1, Vec(1), Vec(1), 0);
        cache.Append(1, 1, Vec(1), Vec(1), 1);
        Assert.Equal(3L * 4 * 2 * 4, cache.BytesInUse);
        Assert.Equal(17L * 4 * 2 * 4, cache.Bytes);
        cache.NextPosition = 9;
        cache.Clear();
        Assert.Equal(0, cache.BytesInUse);
        Assert.Equal(0, cache.NextPosition);
    }

    [Fact]
    public void RecentQueries_RingKeepsLastWindowOldestFirst()
    {
        using var cache = new KvCache(KvCacheLayout.Full(Config(), 4), queryWindow: 2);
        for (int t = 0; t < 3; t++)
        {
            var q = new float[4 * 4];
            for (int h = 0; h < 4; h++)
            {
                Vec((t * 10) + h).CopyTo(q, h * 4);
            }

            cache.PushQueries(1, q);
        }

        Assert.Equal(2, cache.RecentQueryCount(1));
        Assert.Equal(0, cache.RecentQueryCount(0));
        Assert.Equal(Vec(13), cache.RecentQuery(1, 3, 0).ToArray());
        Assert.Equal(Vec(23), cache.RecentQuery(1, 3, 1).ToArray());
        Assert.Equal(Vec(20), cache.RecentQuery(1, 0, 1).ToArray());
    }
}
