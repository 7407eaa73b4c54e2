using MathNet.Numerics.LinearAlgebra;
using UNComp.Runtime.Calibration;

namespace UNComp.Runtime.Tests.Calibration;

public class SymmetricEigenvaluesTests
{
    private static double[] RandomSymmetric(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                double v = rng.NextDouble() * 2 - 1;
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }

        return a;
    }

    private static double[] MathNetEigenvalues(double[] a, int n)
    {
        var evd = Matrix<double>.Build.Dense(n, n, a).Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(c => c.Real).ToArray();
        Array.Sort(values);
        Array.Reverse(values);
        return values;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(17, 4)]
    [InlineData(64, 5)]
    [InlineData(128, 6)]
    public void Compute_RandomSymmetricMatrix_MatchesMathNet(int n, int seed)
    {
        var a = RandomSymmetric(n, seed);
        var ours = SymmetricEigenvalues.Compute(a, n);
        var reference = MathNetEigenvalues(a, n);
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(ours[i] - reference[i]) <= 1e-12 * Math.Max(1, Math.Abs(reference[i])), $"λ{i}: {ours[i]} vs {reference[i]}");
        }
    }

    [Fact]
    public void Compute_DiagonalWithRepeatedValues_ReturnsThemDescending()
    {
        var a = new double[16];
        double[] diag = [0.25, 1, 0.25, 0];
        for (int i = 0; i < 4; i++)
        {
            a[i * 4 + i] = diag[i];
        }

        Assert.Equal([1, 0.25, 0.25, 0], SymmetricEigenvalues.Compute(a, 4));
    }

    [Fact]
    public void Compute_LowRankCovariance_KeepsTinyEigenvaluesNonNegative()
    {
        const int n = 32;
        var v = Enumerable.Range(0, n).Select(i => Math.Cos(i)).ToArray();
        double norm2 = v.Sum(x => x * x);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                a[i * n + j] = v[i] * v[j] / norm2 + (i == j ? 1e-10 : 0);
            }
        }

        var eig = SymmetricEigenvalues.Compute(a, n);
        Assert.Equal(1 + 1e-10, eig[0], 12);
        Assert.All(eig.Skip(1), l => Assert.Equal(1e-10, l, 14));
    }
}
