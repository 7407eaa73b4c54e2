using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace UNComp.Runtime.Compute;

/// <summary>
/// Vectorized e^x in fp32 (Cephes expf: x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 polynomial for e^r, 2^n through
/// the exponent bits), within 2 ulp of e^x over [−87.3, 88]; below that it returns 0 (e^x is subnormal there),
/// above it +∞. Used where the runtime library's vector Exp measured 4× slower (SwiGLU: 123 µs against 32 µs).
/// </summary>
internal static class FastExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    // Above 88, 2^n needs exponent 128: saturate to +∞ there rather than build an invalid scale (true e^x < 1.7e38).
    private const float MaxX = 88.0f;
    private const float MinX = -87.33654475055310898657f;
    private const float P0 = 1.9875691500e-4f;
    private const float P1 = 1.3981999507e-3f;
    private const float P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 1.6666665459e-1f;
    private const float P5 = 5.0000001201e-1f;

    /// <summary>In-place softmax: x ← e^(x − max x) / Σ e^(x − max x), one exponent pass.</summary>
    public static unsafe void Softmax(Span<float> x)
    {
        if (x.IsEmpty)
        {
            return;
        }

        float max = System.Numerics.Tensors.TensorPrimitives.Max(x);
        fixed (float* p = x)
        {
            float sum = ExpShifted(p, x.Length, max);
            System.Numerics.Tensors.TensorPrimitives.Multiply(x, 1f / sum, x);
        }
    }

    /// <summary>
    /// Unnormalized softmax of one attention row: p[i] ← e^(p[i] − max) for i &lt; <paramref name="length"/> and 0 for
    /// <paramref name="length"/> ≤ i &lt; <paramref name="zeroTo"/>; returns Σ e^(p[i] − max) (the caller scales its
    /// weighted sum by the reciprocal instead of the row). The last partial vector is computed whole and masked, so
    /// p must be writable up to <paramref name="length"/> rounded up to 16 floats; lanes past the length may hold
    /// anything (even NaN), they never reach the sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe float ExpRowMasked(float* p, int length, int zeroTo)
    {
        float max = System.Numerics.Tensors.TensorPrimitives.Max(new ReadOnlySpan<float>(p, length));
        int i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<float>.Zero;
            var s = Vector512.Create(max);
            for (; i + 16 <= length; i += 16)
            {
                var e = Exp(Vector512.Load(p + i) - s);
                e.Store(p + i);
                acc += e;
            }

            if (i < length)
            {
                var keep = Vector512.LessThan(Vector512.Create(i) + Vector512<int>.Indices, Vector512.Create(length)).AsSingle();
                var e = Vector512.ConditionalSelect(keep, Exp(Vector512.Load(p + i) - s), Vector512<float>.Zero);
                e.Store(p + i);
                acc += e;
                i += 16;
            }

            sum = Vector512.Sum(acc);
        }
        else
        {
            sum = ExpShifted(p, length, max);
            i = length;
        }

        for (; i < zeroTo; i++)
        {
            p[i] = 0;
        }

        return sum;
    }

    /// <summary>p[i] ← e^(p[i] − shift) for i &lt; n; returns the sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float ExpShifted(float* p, int n, float shift)
    {
        int i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<float>.Zero;
            var s = Vector512.Create(shift);
            for (; i + 16 <= n; i += 16)
            {
                var e = Exp(Vector512.Load(p + i) - s);
                e.Store(p + i);
                acc += e;
            }

            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<float>.Zero;
            var s = Vector256.Create(shift);
            for (; i + 8 <= n; i += 8)
            {
                var e = Exp(Vector256.Load(p + i) - s);
                e.Store(p + i);
                acc += e;
            }

            sum = Vector256.Sum(acc);
        }

        for (; i < n; i++)
        {
            float e = MathF.Exp(p[i] - shift);
            p[i] = e;
            sum += e;
        }

        return sum;
    }

    /// <summary>e^x per lane (512-bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var over = Vector512.GreaterThan(x, Vector512.Create(MaxX));
        var under = Vector512.LessThan(x, Vector512.Create(MinX));
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(MinX)), Vector512.Create(MaxX));
        var n = Vector512.Round(x * Vector512.Create(Log2E));
        var r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.Create(P0);
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(P1));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(P2));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(P3));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(P4));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(P5));
        p = Vector512.MultiplyAddEstimate(p * r, r, r) + Vector512<float>.One;
        var scale = (Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23;
        var result = p * scale.AsSingle();
        result = Vector512.ConditionalSelect(over, Vector512.Create(float.PositiveInfinity), result);
        return Vector512.ConditionalSelect(under, Vector512<float>.Zero, result);
    }

    /// <summary>e^x per lane (256-bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var over = Vector256.GreaterThan(x, Vector256.Create(MaxX));
        var under = Vector256.LessThan(x, Vector256.Create(MinX));
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(MinX)), Vector256.Create(MaxX));
        var n = Vector256.Round(x * Vector256.Create(Log2E));
        var r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.Create(P0);
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(P1));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(P2));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(P3));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(P4));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(P5));
        p = Vector256.MultiplyAddEstimate(p * r, r, r) + Vector256<float>.One;
        var scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        var result = p * scale.AsSingle();
        result = Vector256.ConditionalSelect(over, Vector256.Create(float.PositiveInfinity), result);
        return Vector256.ConditionalSelect(under, Vector256<float>.Zero, result);
    }
}
