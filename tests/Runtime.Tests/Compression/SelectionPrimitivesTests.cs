using UNComp.Runtime.Compression;

namespace UNComp.Runtime.Tests.Compression;

public class SelectionPrimitivesTests
{
    [Fact]
    public void MaxPool_Kernel3_TakesNeighbourhoodMaximumWithSameLength()
    {
        float[] src = [1, 5, 2, 0, 0, 7];
        var dst = new float[src.Length];
        ScorePooling.MaxPool(src, dst, 3);
        Assert.Equal(new float[] { 5, 5, 5, 2, 7, 7 }, dst);
    }

    [Fact]
    public void AveragePool_Kernel3_CountsPaddingInDivisor()
    {
        float[] src = [3, 3, 3, 6];
        var dst = new float[src.Length];
        ScorePooling.AveragePool(src, dst, 3);
        Assert.Equal(new float[] { 2, 3, 4, 3 }, dst);
    }

    [Fact]
    public void MaxPool_Kernel1_IsIdentity()
    {
        var src = TestSupport.Approx.Random(17, 3);
        var dst = new float[17];
        ScorePooling.Pool(src, dst, 1, PoolingKind.Max);
        Assert.Equal(src, dst);
    }

    [Fact]
    public void TopK_ReturnsLargestInIncreasingIndexOrder()
    {
        float[] scores = [0.1f, 0.9f, 0.3f, 0.8f, 0.05f, 0.7f];
        var keep = new int[3];
        TopKSelection.SelectInOrder(scores, keep);
        Assert.Equal(new[] { 1, 3, 5 }, keep);
    }

    [Fact]
    public void TopK_Ties_PreferLowerIndex()
    {
        float[] scores = [1, 2, 2, 2, 1, 2];
        var keep = new int[2];
        TopKSelection.SelectInOrder(scores, keep);
        Assert.Equal(new[] { 1, 2 }, keep);
    }

    [Fact]
    public void TopK_NaN_RanksLast()
    {
        float[] scores = [float.NaN, 0, -1];
        var keep = new int[2];
        TopKSelection.SelectInOrder(scores, keep);
        Assert.Equal(new[] { 1, 2 }, keep);
    }

    [Fact]
    public void ArgMin_Ties_ReturnsFirst()
    {
        Assert.Equal(1, TopKSelection.ArgMin([3, 1, 2, 1]));
    }

    [Fact]
    public void WindowSelection_KeepsWindowAndBestPooledPrefix()
    {
        // 12 tokens, window 4: prefix 0..7; token 2 is the only strong one, max-pool kernel 3 lifts 1..3.
        float[] scores = [0, 0, 9, 0, 0, 0, 0, 0.5f, 1, 1, 1, 1];
        var keep = new int[7];
        WindowScoreSelection.SelectPrefill(scores, 4, 3, PoolingKind.Max, keep);
        Assert.Equal(new[] { 1, 2, 3, 8, 9, 10, 11 }, keep);
    }

    [Fact]
    public void WindowSelection_CapacityBelowWindow_KeepsMostRecent()
    {
        var keep = new int[3];
        WindowScoreSelection.SelectPrefill(new float[20], 8, 7, PoolingKind.Max, keep);
        Assert.Equal(new[] { 17, 18, 19 }, keep);
    }
}
