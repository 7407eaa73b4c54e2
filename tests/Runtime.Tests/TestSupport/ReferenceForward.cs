using UNComp.Runtime.Models;

namespace UNComp.Runtime.Tests.TestSupport;

/// <summary>
/// A deliberately naive forward pass in double precision (full recompute, no cache, plain loops), written
/// independently of the engine, used as the oracle for engine tests.
/// </summary>
internal static class ReferenceForward
{
    public static double[] InverseFrequencies(ModelConfig c)
    {
        int half = c.HeadDim / 2;
        var inv = new double[half];
        for (int i = 0; i < half; i++)
        {
            inv[i] = 1.0 / Math.Pow(c.RopeTheta, 2.0 * i / c.HeadDim);
            if (c.RopeScaling is { } s)
            {
                double wavelen = 2 * Math.PI / inv[i];
                double lowW = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
                double highW = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
                if (wavelen > lowW)
                {
                    inv[i] /= s.Factor;
                }
                else if (wavelen >= highW)
                {
                    double smooth = ((s.OriginalMaxPositionEmbeddings / wavelen) - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    inv[i] = ((1 - smooth) * inv[i] / s.Factor) + (smooth * inv[i]);
                }
            }
        }

        return inv;
    }

    /// <summary>Logits of the last token after running <paramref name="tokens"/> at positions 0..n-1.</summary>
    public static float[] LastLogits(LlamaModel m, IReadOnlyList<int> tokens)
    {
        var c = m.Config;
        int n = tokens.Count, h = c.HiddenSize, d = c.HeadDim, heads = c.NumAttentionHeads, kvh = c.NumKeyValueHeads;
        var inv = InverseFrequencies(c);
        var x = new double[n, h];
        for (int t = 0; t < n; t++)
        {
            for (int i = 0; i < h; i++)
            {
                x[t, i] = m.Embedding[(tokens[t] * h) + i];
            }
        }

        foreach (var w in m.Layers)
        {
            var xn = Norm(x, w.AttentionNorm, c.RmsNormEps);
            var q = Linear(xn, w.Wq, w.Bq, heads * d);
            var k = Linear(xn, w.Wk, w.Bk, kvh * d);
            var v = Linear(xn, w.Wv, w.Bv, kvh * d);
            Rope(q, heads, d, inv);
            Rope(k, kvh, d, inv);
            var att = new double[n, heads * d];
            for (int hd = 0; hd < heads; hd++)
            {
                int g = hd / (heads / kvh);
                for (int i = 0; i < n; i++)
                {
                    var s = new double[i + 1];
                    double max = double.NegativeInfinity;
                    for (int j = 0; j <= i; j++)
                    {
                        double dot = 0;
                        for (int e = 0; e < d; e++)
                        {
                            dot += q[i, (hd * d) + e] * k[j, (g * d) + e];
                        }

                        s[j] = dot / Math.Sqrt(d);
                        max = Math.Max(max, s[j]);
                    }

                    double sum = 0;
                    for (int j = 0; j <= i; j++)
                    {
                        s[j] = Math.Exp(s[j] - max);
                        sum += s[j];
                    }

                    for (int j = 0; j <= i; j++)
                    {
                        for (int e = 0; e < d; e++)
                        {
                            att[i, (hd * d) + e] += s[j] / sum * v[j, (g * d) + e];
                        }
                    }
                }
            }

            var o = Linear(att, w.Wo, w.Bo, h);
            Add(x, o);
            var xm = Norm(x, w.MlpNorm, c.RmsNormEps);
            var gate = Linear(xm, w.WGate, null, c.IntermediateSize);
            var up = Linear(xm, w.WUp, null, c.IntermediateSize);
            for (int t = 0; t < n; t++)
            {
                for (int i = 0; i < c.IntermediateSize; i++)
                {
                    gate[t, i] = gate[t, i] / (1 + Math.Exp(-gate[t, i])) * up[t, i];
                }
            }

            Add(x, Linear(gate, w.WDown, null, h));
        }

        var last = new double[1, h];
        for (int i = 0; i < h; i++)
        {
            last[0, i] = x[n - 1, i];
        }

        var logits = Linear(Norm(last, m.FinalNorm, c.RmsNormEps), m.LmHead, null, c.VocabSize);
        var result = new float[c.VocabSize];
        for (int i = 0; i < c.VocabSize; i++)
        {
            result[i] = (float)logits[0, i];
        }

        return result;
    }

    private static double[,] Norm(double[,] x, float[] w, double eps)
    {
        int n = x.GetLength(0), h = x.GetLength(1);
        var y = new double[n, h];
        for (int t = 0; t < n; t++)
        {
            double ss = 0;
            for (int i = 0; i < h; i++)
            {
                ss += x[t, i] * x[t, i];
            }

            double r = 1 / Math.Sqrt((ss / h) + eps);
            for (int i = 0; i < h; i++)
            {
                y[t, i] = x[t, i] * r * w[i];
            }
        }

        return y;
    }

    private static double[,] Linear(double[,] x, float[] w, float[]? b, int outDim)
    {
        int n = x.GetLength(0), inDim = x.GetLength(1);
        var y = new double[n, outDim];
        for (int t = 0; t < n; t++)
        {
            for (int o = 0; o < outDim; o++)
            {
                double acc = b?[o] ?? 0;
                for (int i = 0; i < inDim; i++)
                {
                    acc += x[t, i] * w[((long)o * inDim) + i];
                }

                y[t, o] = acc;
            }
        }

        return y;
    }

    private static void Rope(double[,] x, int heads, int d, double[] inv)
    {
        int n = x.GetLength(0);
        for (int t = 0; t < n; t++)
        {
            for (int hd = 0; hd < heads; hd++)
            {
                for (int i = 0; i < d / 2; i++)
                {
                    double a = x[t, (hd * d) + i], b = x[t, (hd * d) + i + (d / 2)];
                    double ang = t * inv[i];
                    x[t, (hd * d) + i] = (a * Math.Cos(ang)) - (b * Math.Sin(ang));
                    x[t, (hd * d) + i + (d / 2)] = (b * Math.Cos(ang)) + (a * Math.Sin(ang));
                }
            }
        }
    }

    private static void Add(double[,] x, double[,] y)
    {
        for (int t = 0; t < x.GetLength(0); t++)
        {
            for (int i = 0; i < x.GetLength(1); i++)
            {
                x[t, i] += y[t, i];
            }
        }
    }
}
