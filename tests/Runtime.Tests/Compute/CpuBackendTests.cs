using UNComp.Runtime.Compute;
using UNComp.Runtime.Models;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Compute;

public class CpuBackendTests
{
    private readonly CpuBackend _cpu = new(2);

    [Fact]
    public void RmsNorm_MatchesNaive()
    {
        int rows = 3, dim = 24;
        var x = Approx.Random(rows * dim, 4, 3);
        var w = Approx.Random(dim, 5);
        var y = new float[rows * dim];
        _cpu.RmsNorm(x, w, 1e-5f, y, rows, dim);
        var expected = new float[rows * dim];
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int i = 0; i < dim; i++)
            {
                ss += (double)x[(r * dim) + i] * x[(r * dim) + i];
            }

            double inv = 1 / Math.Sqrt((ss / dim) + 1e-5);
            for (int i = 0; i < dim; i++)
            {
                expected[(r * dim) + i] = (float)(x[(r * dim) + i] * inv * w[i]);
            }
        }

        Approx.Equal(expected, y, 1e-5, "rmsnorm");
    }

    [Fact]
    public void Rope_RotatesHalfSplitPairsByPositionTimesFrequency()
    {
        int heads = 3, d = 8;
        int[] positions = [0, 5, 17];
        var x = Approx.Random(positions.Length * heads * d, 6);
        var original = (float[])x.Clone();
        var inv = RotaryEmbedding.InverseFrequencies(d, 10000, null);
        _cpu.Rope(x, positions, heads, d, inv);
        var expected = new float[x.Length];
        for (int t = 0; t < positions.Length; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int o = ((t * heads) + h) * d;
                for (int i = 0; i < d / 2; i++)
                {
                    double ang = positions[t] * Math.Pow(10000, -2.0 * i / d);
                    double a = original[o + i], b = original[o + i + (d / 2)];
                    expected[o + i] = (float)((a * Math.Cos(ang)) - (b * Math.Sin(ang)));
                    expected[o + i + (d / 2)] = (float)((b * Math.Cos(ang)) + (a * Math.Sin(ang)));
                }
            }
        }

        Approx.Equal(expected, x, 1e-5, "rope");
        Approx.Equal(original.AsSpan(0, heads * d), x.AsSpan(0, heads * d), 0, "position 0 is the identity");
    }

    [Fact]
    public void InverseFrequencies_Llama3Scaling_MatchesTransformersFormula()
    {
        var scaling = new RopeScaling(8, 1, 4, 8192);
        var inv = RotaryEmbedding.InverseFrequencies(128, 500000, scaling);
        for (int i = 0; i < 64; i++)
        {
            double f = Math.Pow(500000, -2.0 * i / 128);
            double wavelen = 2 * Math.PI / f;
            double expected = wavelen < 8192 / 4.0 ? f
                : wavelen > 8192 / 1.0 ? f / 8
                : ((1 - (((8192 / wavelen) - 1) / 3)) * f / 8) + ((((8192 / wavelen) - 1) / 3) * f);
            Assert.True(Math.Abs(expected - inv[i]) <= 1e-6 * Math.Max(1e-3, expected), $"i={i}: expected {expected}, got {inv[i]}");
        }

        Assert.Equal(1f, inv[0]);
        Assert.True(inv[63] < Math.Pow(500000, -126.0 / 128) / 7.9, "lowest frequency is divided by the factor");
    }

    [Fact]
    public void SwiGlu_MatchesSiluTimesUp()
    {
        var g = Approx.Random(50, 7, 4);
        var u = Approx.Random(50, 8);
        var y = new float[50];
        _cpu.SwiGlu(g, u, y);
        var expected = g.Select((v, i) => (float)(v / (1 + Math.Exp(-v)) * u[i])).ToArray();
        Approx.Equal(expected, y, 1e-5, "swiglu");
    }

    [Fact]
    public void Softmax_MatchesNaiveAndSumsToOne()
    {
        var x = Approx.Random(33, 9, 20);
        var expected = new float[33];
        double max = x.Max();
        double sum = x.Sum(v => Math.Exp(v - max));
        for (int i = 0; i < 33; i++)
        {
            expected[i] = (float)(Math.Exp(x[i] - max) / sum);
        }

        _cpu.Softmax(x);
        Approx.Equal(expected, x, 1e-6, "softmax");
    }

    [Theory]
    [InlineData(7, 4, 2, 8)]
    [InlineData(37, 4, 1, 64)]
    [InlineData(21, 2, 2, 40)]
    [InlineData(1, 2, 1, 8)]
    [InlineData(150, 4, 2, 64)] // more rows than one attention task: rows split across workers
    [InlineData(130, 8, 2, 32)]
    public void CausalAttention_MatchesNaiveIncludingStatistics(int n, int heads, int kvHeads, int d)
    {
        int wa = 3, wb = 5;
        var q = Approx.Random(n * heads * d, 10);
        var k = Approx.Random(n * kvHeads * d, 11);
        var v = Approx.Random(n * kvHeads * d, 12);
        var o = new float[n * heads * d];
        var sa = new float[heads * n];
        var sb = new float[heads * n];
        var sc = new float[heads * n];
        float scale = 1 / MathF.Sqrt(d);
        _cpu.CausalAttention(new CausalAttentionArgs
        {
            Q = q, K = k, V = v, Output = o, Scratch = new float[heads * n], Tokens = n, Heads = heads, KvHeads = kvHeads, HeadDim = d,
            Scale = scale, WindowA = wa, WindowSumsA = sa, WindowB = wb, WindowSumsB = sb, ColumnSums = sc,
        });

        var eo = new float[o.Length];
        var ea = new float[sa.Length];
        var eb = new float[sb.Length];
        var ec = new float[sc.Length];
        for (int h = 0; h < heads; h++)
        {
            int g = h / (heads / kvHeads);
            for (int i = 0; i < n; i++)
            {
                var p = new double[i + 1];
                for (int j = 0; j <= i; j++)
                {
                    double dot = 0;
                    for (int e = 0; e < d; e++)
                    {
                        dot += (double)q[(((i * heads) + h) * d) + e] * k[(((j * kvHeads) + g) * d) + e];
                    }

                    p[j] = Math.Exp(dot * scale);
                }

                double sum = p.Sum();
                for (int j = 0; j <= i; j++)
                {
                    p[j] /= sum;
                    for (int e = 0; e < d; e++)
                    {
                        eo[(((i * heads) + h) * d) + e] += (float)(p[j] * v[(((j * kvHeads) + g) * d) + e]);
                    }

                    ec[(h * n) + j] += (float)p[j];
                    if (i >= n - wa)
                    {
                        ea[(h * n) + j] += (float)p[j];
                    }

                    if (i >= n - wb)
                    {
                        eb[(h * n) + j] += (float)p[j];
                    }
                }
            }
        }

        Approx.Equal(eo, o, 1e-5, "output");
        Approx.Equal(ea, sa, 1e-5, "window A");
        Approx.Equal(eb, sb, 1e-5, "window B");
        Approx.Equal(ec, sc, 1e-5, "column sums");
    }

    [Theory]
    [InlineData(6, 2, 8)]
    [InlineData(37, 4, 64)]
    [InlineData(0, 4, 40)]
    [InlineData(9, 5, 12)]
    public void DecodeAttention_MatchesNaiveOverCachePlusNewToken(int n, int qh, int d)
    {
        var q = Approx.Random(qh * d, 13);
        var keys = Approx.Random(Math.Max(1, n * d), 14);
        var values = Approx.Random(Math.Max(1, n * d), 15);
        var nk = Approx.Random(d, 16);
        var nv = Approx.Random(d, 17);
        var probs = new float[qh * (n + 1)];
        var o = new float[qh * d];
        float scale = 1 / MathF.Sqrt(d);
        _cpu.DecodeAttention(q, keys, values, nk, nv, probs, o, n, qh, d, scale);
        for (int h = 0; h < qh; h++)
        {
            var s = new double[n + 1];
            for (int j = 0; j <= n; j++)
            {
                double dot = 0;
                for (int e = 0; e < d; e++)
                {
                    dot += q[(h * d) + e] * (j < n ? keys[(j * d) + e] : nk[e]);
                }

                s[j] = Math.Exp(dot * scale);
            }

            double sum = s.Sum();
            var expectedOut = new float[d];
            var expectedP = new float[n + 1];
            for (int j = 0; j <= n; j++)
            {
                expectedP[j] = (float)(s[j] / sum);
                for (int e = 0; e < d; e++)
                {
                    expectedOut[e] += (float)(s[j] / sum * (j < n ? values[(j * d) + e] : nv[e]));
                }
            }

            Approx.Equal(expectedP, probs.AsSpan(h * (n + 1), n + 1), 1e-6, "probs");
            Approx.Equal(expectedOut, o.AsSpan(h * d, d), 1e-5, "output");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CausalAttention_GivesBitIdenticalResultsForAnyThreadCount(bool columnSums)
    {
        int n = 203, heads = 8, kvHeads = 2, d = 32;
        var q = Approx.Random(n * heads * d, 20);
        var k = Approx.Random(n * kvHeads * d, 21);
        var v = Approx.Random(n * kvHeads * d, 22);
        (float[] O, float[] A, float[] C) Run(int threads)
        {
            var o = new float[n * heads * d];
            var sa = new float[heads * n];
            var sc = new float[heads * n];
            new CpuBackend(threads).CausalAttention(new CausalAttentionArgs
            {
                Q = q, K = k, V = v, Output = o, Scratch = new float[heads * n], Tokens = n, Heads = heads, KvHeads = kvHeads,
                HeadDim = d, Scale = 0.17f, WindowA = 70, WindowSumsA = sa, ColumnSums = columnSums ? sc : default,
            });
            return (o, sa, sc);
        }

        var one = Run(1);
        var four = Run(4);
        Assert.Equal(one.O, four.O);
        Assert.Equal(one.A, four.A);
        Assert.Equal(one.C, four.C);
        Assert.Contains(one.A, s => s > 0);
    }
}
