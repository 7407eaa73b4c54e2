namespace UNComp.Runtime.Compression;

/// <summary>
/// 1-D pooling with stride 1 and padding kernel/2 on both sides, so the output has the input's length. An even
/// kernel is treated as the next odd size so the window stays centred.
/// </summary>
public static class ScorePooling
{
    /// <summary>Pools <paramref name="source"/> into <paramref name="destination"/> (same length, must not overlap).</summary>
    /// <exception cref="ArgumentException">Lengths differ or the kernel is below 1.</exception>
    public static void Pool(ReadOnlySpan<float> source, Span<float> destination, int kernel, PoolingKind kind)
    {
        if (destination.Length != source.Length)
        {
            throw new ArgumentException($"destination has {destination.Length} elements; it must match the source ({source.Length}).", nameof(destination));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        switch (kind)
        {
            case PoolingKind.Max:
                MaxPool(source, destination, kernel);
                break;
            case PoolingKind.Average:
                AveragePool(source, destination, kernel);
                break;
            default:
                source.CopyTo(destination);
                break;
        }
    }

    /// <summary>Max pooling: out[i] = max of source[i-r .. i+r] clipped to the span, r = kernel/2.</summary>
    public static void MaxPool(ReadOnlySpan<float> source, Span<float> destination, int kernel)
    {
        int n = source.Length;
        int r = kernel / 2;
        for (int i = 0; i < n; i++)
        {
            int lo = Math.Max(0, i - r);
            int hi = Math.Min(n - 1, i + r);
            float m = source[lo];
            for (int j = lo + 1; j <= hi; j++)
            {
                m = Math.Max(m, source[j]);
            }

            destination[i] = m;
        }
    }

    /// <summary>Average pooling: out[i] = (Σ source[i-r .. i+r] clipped to the span) / (2r + 1).</summary>
    public static void AveragePool(ReadOnlySpan<float> source, Span<float> destination, int kernel)
    {
        int n = source.Length;
        int r = kernel / 2;
        float divisor = (2 * r) + 1;
        for (int i = 0; i < n; i++)
        {
            int lo = Math.Max(0, i - r);
            int hi = Math.Min(n - 1, i + r);
            float s = 0;
            for (int j = lo; j <= hi; j++)
            {
                s += source[j];
            }

            destination[i] = s / divisor;
        }
    }
}
