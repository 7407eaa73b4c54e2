namespace UNComp.Runtime.Calibration;

/// <summary>Entropy of every query head of one layer on one prompt, and the layer score.</summary>
/// <param name="Heads">One entry per query head.</param>
/// <param name="Score">s_l = Σ_heads exp(Ĥ with k = d) (uncomp-method.md §2, "Layer stages").</param>
public sealed record LayerEntropy(IReadOnlyList<HeadEntropy> Heads, double Score)
{
    /// <summary>Measures every head of a layer from its [tokens × heads × headDim] queries.</summary>
    /// <remarks>Heads are independent; they run in parallel, each with its own d×d buffer.</remarks>
    public static LayerEntropy Measure(ReadOnlySpan<float> queries, int tokens, int heads, int headDim, EntropyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new HeadEntropy[heads];
        if (heads == 1)
        {
            result[0] = MatrixEntropy.Measure(queries, tokens, heads, headDim, 0, options);
        }
        else
        {
            unsafe
            {
                fixed (float* p = queries)
                {
                    var ptr = (nint)p;
                    int length = queries.Length;
                    Parallel.For(0, heads, h =>
                    {
                        var span = new ReadOnlySpan<float>((float*)ptr, length);
                        result[h] = MatrixEntropy.Measure(span, tokens, heads, headDim, h, options);
                    });
                }
            }
        }

        return new LayerEntropy(result, ScoreOf(result));
    }

    /// <summary>The default layer score Σ_heads exp(Ĥ_full).</summary>
    public static double ScoreOf(IReadOnlyList<HeadEntropy> heads)
    {
        ArgumentNullException.ThrowIfNull(heads);
        double s = 0;
        foreach (var h in heads)
        {
            s += Math.Exp(h.FullNormalizedEntropy);
        }

        return s;
    }
}
