namespace UNComp.Runtime.GpuTests;

/// <summary>Causal grouped-query attention in float64: the reference the prefill kernels (bf16 and fp32) are checked against.</summary>
internal static class ReferenceAttention
{
    /// <summary>
    /// o[i, h] = Σ_{j ≤ i} softmax_j(scale · q[i, h] · k[j, h / group]) · v[j, h / group] for q [n, heads, d] and
    /// k, v [n, kvHeads, d] (row-major floats); also log2 of each row's softmax normaliser in scaled-logit units,
    /// [heads, n] (what the kernels write as lse).
    /// </summary>
    public static (float[] Output, float[] Log2SumExp) Causal(float[] q, float[] k, float[] v, int n, int heads, int kvHeads, int d, double scale)
    {
        var output = new float[n * heads * d];
        var log2SumExp = new float[heads * n];
        int group = heads / kvHeads;
        var p = new double[n];
        for (int h = 0; h < heads; h++)
        {
            int kvh = h / group;
            for (int i = 0; i < n; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j <= i; j++)
                {
                    double s = 0;
                    for (int e = 0; e < d; e++)
                    {
                        s += (double)q[(((i * heads) + h) * d) + e] * k[(((j * kvHeads) + kvh) * d) + e];
                    }

                    p[j] = s * scale;
                    max = Math.Max(max, p[j]);
                }

                double sum = 0;
                for (int j = 0; j <= i; j++)
                {
                    p[j] = Math.Exp(p[j] - max);
                    sum += p[j];
                }

                log2SumExp[(h * n) + i] = (float)((max + Math.Log(sum)) / Math.Log(2));
                for (int e = 0; e < d; e++)
                {
                    double o = 0;
                    for (int j = 0; j <= i; j++)
                    {
                        o += p[j] * v[(((j * kvHeads) + kvh) * d) + e];
                    }

                    output[(((i * heads) + h) * d) + e] = (float)(o / sum);
                }
            }
        }

        return (output, log2SumExp);
    }
}
