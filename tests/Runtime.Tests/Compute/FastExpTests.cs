using System.Runtime.Intrinsics;
using UNComp.Runtime.Compute;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Compute;

public class FastExpTests
{
    [Fact]
    public void Exp_IsWithinTwoUlpOfDoublePrecisionAcrossTheFloatRange()
    {
        float worst = 0;
        for (float x = -87.3f; x <= 87.3f; x += 0.0137f)
        {
            var lanes = Vector256.Create(x, x / 3, -x / 7, x * 0.001f, -x, x / 11, 0, x / 89);
            var got = FastExp.Exp(lanes);
            var wide = FastExp.Exp(Vector512.Create(lanes, lanes));
            for (int i = 0; i < 8; i++)
            {
                double exact = Math.Exp(lanes[i]);
                double ulp = Math.Max(double.Epsilon, MathF.BitIncrement((float)exact) - (float)exact);
                worst = Math.Max(worst, (float)(Math.Abs(got[i] - exact) / ulp));
                Assert.Equal(got[i], wide[i]);
            }
        }

        Assert.True(worst <= 2, $"worst error {worst} ulp");
    }

    [Fact]
    public void Exp_SaturatesOutsideTheRange()
    {
        var v = FastExp.Exp(Vector256.Create(-200f, -88f, 89f, 1000f, 0f, 1f, float.NegativeInfinity, -90f));
        Assert.Equal(0f, v[0]);
        Assert.Equal(float.PositiveInfinity, v[2]);
        Assert.Equal(float.PositiveInfinity, v[3]);
        Assert.Equal(1f, v[4]);
        Assert.Equal(MathF.E, v[5], 6);
        Assert.Equal(0f, v[6]);
        Assert.Equal(0f, v[7]);
    }

    [Fact]
    public void Softmax_MatchesDoublePrecisionAndSumsToOne()
    {
        var x = Approx.Random(1037, 3, 30);
        double max = x.Max();
        double sum = x.Sum(v => Math.Exp(v - max));
        var expected = x.Select(v => (float)(Math.Exp(v - max) / sum)).ToArray();
        FastExp.Softmax(x);
        Approx.Equal(expected, x, 1e-7, "softmax");
        Assert.Equal(1.0, x.Sum(v => (double)v), 5);
    }
}
