using UNComp.Runtime.Calibration;

namespace UNComp.Runtime.Tests.Calibration;

public class MatrixEntropyTests
{
    /// <summary>Rows ±e_i, <paramref name="pairsPerAxis"/>[i] pairs each: mean 0, Σ = diag(p) with p ∝ pairs.</summary>
    private static float[] AxisRows(int[] pairsPerAxis, int d, double[,]? rotation = null)
    {
        var rows = new List<float>();
        for (int i = 0; i < pairsPerAxis.Length; i++)
        {
            for (int r = 0; r < pairsPerAxis[i]; r++)
            {
                foreach (int sign in new[] { 1, -1 })
                {
                    var v = new double[d];
                    v[i] = sign * (1 + r);   // lengths differ: row normalisation must remove them
                    if (rotation is not null)
                    {
                        var w = new double[d];
                        for (int a = 0; a < d; a++)
                        {
                            for (int b = 0; b < d; b++)
                            {
                                w[a] += rotation[a, b] * v[b];
                            }
                        }

                        v = w;
                    }

                    rows.AddRange(v.Select(x => (float)x));
                }
            }
        }

        return rows.ToArray();
    }

    [Fact]
    public void Measure_IsotropicRows_GivesUniformSpectrumAndEntropyLnD()
    {
        const int d = 8;
        var q = AxisRows(Enumerable.Repeat(3, d).ToArray(), d);
        int tokens = q.Length / d;
        var sigma = new double[d * d];
        MatrixEntropy.Covariance(q, tokens, 1, d, 0, sigma);
        var eig = MatrixEntropy.Eigenvalues(sigma, d);
        Assert.All(eig, l => Assert.Equal(1.0 / d + MatrixEntropy.Ridge, l, 12));

        var h = MatrixEntropy.FromSpectrum(eig, new EntropyOptions(d));
        Assert.Equal(Math.Log(d), h.TruncatedEntropy, 8);
        Assert.Equal(1.0, h.NormalizedEntropy, 8);
        Assert.Equal(d, h.EffectiveRank, 6);

        var h4 = MatrixEntropy.FromSpectrum(eig, new EntropyOptions(4));
        Assert.Equal(4.0 / d * Math.Log(d), h4.TruncatedEntropy, 8);
        Assert.Equal(1.0, h4.FullNormalizedEntropy, 8);
    }

    [Fact]
    public void Measure_RankOneRows_GivesEntropyNearZero()
    {
        const int d = 16;
        var direction = Enumerable.Range(0, d).Select(i => (float)Math.Sin(i + 1)).ToArray();
        var q = new float[40 * d];
        for (int t = 0; t < 40; t++)
        {
            float a = (t % 2 == 0 ? 1 : -1) * (1 + t);
            for (int i = 0; i < d; i++)
            {
                q[t * d + i] = a * direction[i] + 5f; // a constant offset: centring must remove it
            }
        }

        var h = MatrixEntropy.Measure(q, 40, 1, d, 0, new EntropyOptions(d));
        Assert.InRange(h.TruncatedEntropy, 0, 1e-6);
        Assert.InRange(h.EffectiveRank, 1, 1 + 1e-6);
    }

    [Fact]
    public void Measure_KnownSpectrumUnderRotation_GivesExactEntropy()
    {
        const int d = 4;
        // Σ = diag(1/2, 1/4, 1/8, 1/8) before a rotation: H = 1.75 ln 2.
        double c = Math.Cos(0.7), s = Math.Sin(0.7);
        var rotation = new double[,] { { c, -s, 0, 0 }, { s, c, 0, 0 }, { 0, 0, c, s }, { 0, 0, -s, c } };
        var q = AxisRows([8, 4, 2, 2], d, rotation);
        var sigma = new double[d * d];
        MatrixEntropy.Covariance(q, q.Length / d, 1, d, 0, sigma);
        var eig = MatrixEntropy.Eigenvalues(sigma, d);
        Assert.Equal([0.5, 0.25, 0.125, 0.125], eig.Select(x => Math.Round(x, 7)).ToArray());

        var h = MatrixEntropy.FromSpectrum(eig, new EntropyOptions(d));
        Assert.Equal(1.75 * Math.Log(2), h.TruncatedEntropy, 6);
        Assert.Equal(1.75 * Math.Log(2) / Math.Log(4), h.NormalizedEntropy, 6);
        var h1 = MatrixEntropy.FromSpectrum(eig, new EntropyOptions(1));
        Assert.Equal(0.5 * Math.Log(2), h1.TruncatedEntropy, 6);
    }

    [Fact]
    public void Covariance_HeadInInterleavedBlock_ReadsOnlyThatHead()
    {
        const int d = 4, heads = 3;
        var isotropic = AxisRows([2, 2, 2, 2], d);
        int tokens = isotropic.Length / d;
        var q = new float[tokens * heads * d];
        var rng = new Random(7);
        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < d; i++)
                {
                    q[(t * heads + h) * d + i] = h == 1 ? isotropic[t * d + i] : (float)rng.NextDouble();
                }
            }
        }

        var layer = LayerEntropy.Measure(q, tokens, heads, d, new EntropyOptions(d));
        Assert.Equal(1.0, layer.Heads[1].NormalizedEntropy, 8);
        Assert.NotEqual(1.0, layer.Heads[0].NormalizedEntropy, 3);
        Assert.Equal(layer.Heads.Sum(x => Math.Exp(x.FullNormalizedEntropy)), layer.Score, 12);
    }

    [Fact]
    public void TruncatedEntropy_NonPositiveEigenvalues_ContributeNothing()
    {
        Assert.Equal(-0.5 * Math.Log(0.5), MatrixEntropy.TruncatedEntropy([0.5, 0.0, -1e-17], 3), 15);
    }

    [Fact]
    public void ElbowCount_SharpDrop_FindsTheBend()
    {
        double[] spectrum = [0.4, 0.3, 0.2, 0.02, 0.02, 0.02, 0.02, 0.02];
        Assert.Equal(3, MatrixEntropy.ElbowCount(spectrum));
        var h = MatrixEntropy.FromSpectrum(spectrum, new EntropyOptions(8, Elbow: true));
        Assert.Equal(3, h.K);
        var capped = MatrixEntropy.FromSpectrum(spectrum, new EntropyOptions(2, Elbow: true));
        Assert.Equal(2, capped.K);
    }
}
