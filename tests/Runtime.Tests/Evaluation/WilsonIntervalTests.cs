using UNComp.Runtime.Evaluation;

namespace UNComp.Runtime.Tests.Evaluation;

public class WilsonIntervalTests
{
    [Theory]
    [InlineData(0, 10, 0.0, 0.2775)]
    [InlineData(10, 10, 0.7225, 1.0)]
    [InlineData(50, 100, 0.4038, 0.5962)]
    [InlineData(95, 100, 0.8882, 0.9785)]
    [InlineData(1, 3, 0.0615, 0.7923)]
    public void Compute_MatchesPublishedValues(int k, int n, double low, double high)
    {
        var (l, h) = WilsonInterval.Compute(k, n);
        Assert.Equal(low, l, 4);
        Assert.Equal(high, h, 4);
    }

    [Fact]
    public void Compute_ShrinksWithMoreTrials()
    {
        var (l10, h10) = WilsonInterval.Compute(9, 10);
        var (l100, h100) = WilsonInterval.Compute(90, 100);
        Assert.True(h100 - l100 < (h10 - l10) / 2.5);
    }

    [Fact]
    public void Compute_MoreSuccessesThanTrials_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Compute(3, 2));
}
