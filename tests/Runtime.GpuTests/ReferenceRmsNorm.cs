namespace UNComp.Runtime.GpuTests;

/// <summary>RMSNorm in float64: the reference the bf16 and fp32 norm kernels are checked against.</summary>
internal static class ReferenceRmsNorm
{
    /// <summary>out[r, i] = x[r, i] / sqrt(mean(x[r, :]²) + eps) · g[i] for <paramref name="rows"/> rows of <paramref name="hidden"/> floats.</summary>
    public static float[] Rows(float[] x, float[] g, int rows, int hidden, double eps)
    {
        var output = new float[rows * hidden];
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int i = 0; i < hidden; i++)
            {
                ss += (double)x[(r * hidden) + i] * x[(r * hidden) + i];
            }

            double inv = 1 / Math.Sqrt((ss / hidden) + eps);
            for (int i = 0; i < hidden; i++)
            {
                output[(r * hidden) + i] = (float)(x[(r * hidden) + i] * inv * g[i]);
            }
        }

        return output;
    }
}
