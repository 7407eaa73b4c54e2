using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace UNComp.Runtime.Compute;

/// <summary>
/// The register-tiled fp32 kernels behind <see cref="CpuBackend.MatMul"/>, for y = x · wᵀ with w in Hugging Face
/// layout [out, in]. GEMM (BLIS style): a block of <see cref="KBlock"/> input columns of <see cref="PanelWidth"/>
/// weight rows is packed into a k-major panel (for each k, <see cref="PanelWidth"/> consecutive outputs), which
/// stays in L1/L2 while every token row streams past it; the micro-kernel keeps a <see cref="TileRows"/> ×
/// <see cref="PanelWidth"/> tile of y in registers (6 × 64 with 512-bit vectors: 24 accumulators, 4 panel loads and 6
/// broadcasts per 24 multiply-adds; 6 × 16 with 256-bit vectors). GEMV (decode): 4 weight rows per step share
/// each load of x. The vector width is chosen once at start-up from what the processor runs natively.
/// </summary>
internal static unsafe class CpuSgemm
{
    /// <summary>Token rows of the register tile.</summary>
    public const int TileRows = 6;

    /// <summary>Input columns packed and multiplied per pass (the panel is PanelWidth × KBlock floats).</summary>
    public const int KBlock = 256;

    /// <summary>True when 512-bit vectors run natively (AVX-512); else 256-bit (AVX2/FMA) when available.</summary>
    public static readonly bool Wide = Vector512.IsHardwareAccelerated;

    /// <summary>True when a vector kernel exists for this processor (otherwise rows fall back to dot products).</summary>
    public static readonly bool Vectorized = Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated;

    /// <summary>Outputs per packed panel: four vectors.</summary>
    public static readonly int PanelWidth = Vector512.IsHardwareAccelerated ? 64 : 16;

    /// <summary>Instruction set the kernels use, for reports.</summary>
    public static string Isa => Wide ? "avx512" : Vector256.IsHardwareAccelerated ? "avx2" : "scalar";

    /// <summary>
    /// Packs w[o0 .. o0+PanelWidth) × [k0, k0+kc) into <paramref name="panel"/> as panel[k·PanelWidth + j]; rows at
    /// or beyond <paramref name="outDim"/> are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackPanel(float* w, int inDim, int outDim, int o0, int k0, int kc, float* panel)
    {
        int nr = PanelWidth;
        int cols = Math.Min(nr, outDim - o0);
        // 16 k at a time: the 16 destination rows (16 × PanelWidth floats) stay in L1 while every weight row
        // contributes one cache line to them. With AVX-512, whole 16 × 16 blocks are transposed in registers
        // (the scalar copy was 5 % of a 1,024-token prefill at 1 thread; perf on the fixture model).
        int kb = 0;
        if (Avx512F.IsSupported)
        {
            int blockCols = cols & ~15;
            for (; kb + 16 <= kc; kb += 16)
            {
                for (int j = 0; j < blockCols; j += 16)
                {
                    Transpose16(w + ((long)(o0 + j) * inDim) + k0 + kb, inDim, panel + ((long)kb * nr) + j, nr);
                }

                for (int j = blockCols; j < cols; j++)
                {
                    float* src = w + ((long)(o0 + j) * inDim) + k0 + kb;
                    float* dst = panel + ((long)kb * nr) + j;
                    for (int k = 0; k < 16; k++)
                    {
                        dst[(long)k * nr] = src[k];
                    }
                }
            }
        }

        for (; kb < kc; kb += 16)
        {
            int kk = Math.Min(16, kc - kb);
            for (int j = 0; j < cols; j++)
            {
                float* src = w + ((long)(o0 + j) * inDim) + k0 + kb;
                float* dst = panel + ((long)kb * nr) + j;
                for (int k = 0; k < kk; k++)
                {
                    dst[(long)k * nr] = src[k];
                }
            }
        }

        for (int j = cols; j < nr; j++)
        {
            for (int k = 0; k < kc; k++)
            {
                panel[((long)k * nr) + j] = 0;
            }
        }
    }

    /// <summary>
    /// dst[k·dstStride + j] = src[j·srcStride + k] for a 16 × 16 block: four rounds of interleaving row i with row
    /// i + 8 (2-source permutes) transpose it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16(float* src, long srcStride, float* dst, long dstStride)
    {
        var lo = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var hi = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        var a0 = Vector512.Load(src);
        var a1 = Vector512.Load(src + (1 * srcStride));
        var a2 = Vector512.Load(src + (2 * srcStride));
        var a3 = Vector512.Load(src + (3 * srcStride));
        var a4 = Vector512.Load(src + (4 * srcStride));
        var a5 = Vector512.Load(src + (5 * srcStride));
        var a6 = Vector512.Load(src + (6 * srcStride));
        var a7 = Vector512.Load(src + (7 * srcStride));
        var a8 = Vector512.Load(src + (8 * srcStride));
        var a9 = Vector512.Load(src + (9 * srcStride));
        var a10 = Vector512.Load(src + (10 * srcStride));
        var a11 = Vector512.Load(src + (11 * srcStride));
        var a12 = Vector512.Load(src + (12 * srcStride));
        var a13 = Vector512.Load(src + (13 * srcStride));
        var a14 = Vector512.Load(src + (14 * srcStride));
        var a15 = Vector512.Load(src + (15 * srcStride));

        // Round 1: row 2i ← interleave of the low halves of rows i and i + 8, row 2i + 1 ← of the high halves.
        var b0 = Avx512F.PermuteVar16x32x2(a0, lo, a8);
        var b1 = Avx512F.PermuteVar16x32x2(a0, hi, a8);
        var b2 = Avx512F.PermuteVar16x32x2(a1, lo, a9);
        var b3 = Avx512F.PermuteVar16x32x2(a1, hi, a9);
        var b4 = Avx512F.PermuteVar16x32x2(a2, lo, a10);
        var b5 = Avx512F.PermuteVar16x32x2(a2, hi, a10);
        var b6 = Avx512F.PermuteVar16x32x2(a3, lo, a11);
        var b7 = Avx512F.PermuteVar16x32x2(a3, hi, a11);
        var b8 = Avx512F.PermuteVar16x32x2(a4, lo, a12);
        var b9 = Avx512F.PermuteVar16x32x2(a4, hi, a12);
        var b10 = Avx512F.PermuteVar16x32x2(a5, lo, a13);
        var b11 = Avx512F.PermuteVar16x32x2(a5, hi, a13);
        var b12 = Avx512F.PermuteVar16x32x2(a6, lo, a14);
        var b13 = Avx512F.PermuteVar16x32x2(a6, hi, a14);
        var b14 = Avx512F.PermuteVar16x32x2(a7, lo, a15);
        var b15 = Avx512F.PermuteVar16x32x2(a7, hi, a15);

        // Round 2: row 2i ← interleave of the low halves of rows i and i + 8, row 2i + 1 ← of the high halves.
        a0 = Avx512F.PermuteVar16x32x2(b0, lo, b8);
        a1 = Avx512F.PermuteVar16x32x2(b0, hi, b8);
        a2 = Avx512F.PermuteVar16x32x2(b1, lo, b9);
        a3 = Avx512F.PermuteVar16x32x2(b1, hi, b9);
        a4 = Avx512F.PermuteVar16x32x2(b2, lo, b10);
        a5 = Avx512F.PermuteVar16x32x2(b2, hi, b10);
        a6 = Avx512F.PermuteVar16x32x2(b3, lo, b11);
        a7 = Avx512F.PermuteVar16x32x2(b3, hi, b11);
        a8 = Avx512F.PermuteVar16x32x2(b4, lo, b12);
        a9 = Avx512F.PermuteVar16x32x2(b4, hi, b12);
        a10 = Avx512F.PermuteVar16x32x2(b5, lo, b13);
        a11 = Avx512F.PermuteVar16x32x2(b5, hi, b13);
        a12 = Avx512F.PermuteVar16x32x2(b6, lo, b14);
        a13 = Avx512F.PermuteVar16x32x2(b6, hi, b14);
        a14 = Avx512F.PermuteVar16x32x2(b7, lo, b15);
        a15 = Avx512F.PermuteVar16x32x2(b7, hi, b15);

        // Round 3: row 2i ← interleave of the low halves of rows i and i + 8, row 2i + 1 ← of the high halves.
        b0 = Avx512F.PermuteVar16x32x2(a0, lo, a8);
        b1 = Avx512F.PermuteVar16x32x2(a0, hi, a8);
        b2 = Avx512F.PermuteVar16x32x2(a1, lo, a9);
        b3 = Avx512F.PermuteVar16x32x2(a1, hi, a9);
        b4 = Avx512F.PermuteVar16x32x2(a2, lo, a10);
        b5 = Avx512F.PermuteVar16x32x2(a2, hi, a10);
        b6 = Avx512F.PermuteVar16x32x2(a3, lo, a11);
        b7 = Avx512F.PermuteVar16x32x2(a3, hi, a11);
        b8 = Avx512F.PermuteVar16x32x2(a4, lo, a12);
        b9 = Avx512F.PermuteVar16x32x2(a4, hi, a12);
        b10 = Avx512F.PermuteVar16x32x2(a5, lo, a13);
        b11 = Avx512F.PermuteVar16x32x2(a5, hi, a13);
        b12 = Avx512F.PermuteVar16x32x2(a6, lo, a14);
        b13 = Avx512F.PermuteVar16x32x2(a6, hi, a14);
        b14 = Avx512F.PermuteVar16x32x2(a7, lo, a15);
        b15 = Avx512F.PermuteVar16x32x2(a7, hi, a15);

        // Round 4: row 2i ← interleave of the low halves of rows i and i + 8, row 2i + 1 ← of the high halves.
        a0 = Avx512F.PermuteVar16x32x2(b0, lo, b8);
        a1 = Avx512F.PermuteVar16x32x2(b0, hi, b8);
        a2 = Avx512F.PermuteVar16x32x2(b1, lo, b9);
        a3 = Avx512F.PermuteVar16x32x2(b1, hi, b9);
        a4 = Avx512F.PermuteVar16x32x2(b2, lo, b10);
        a5 = Avx512F.PermuteVar16x32x2(b2, hi, b10);
        a6 = Avx512F.PermuteVar16x32x2(b3, lo, b11);
        a7 = Avx512F.PermuteVar16x32x2(b3, hi, b11);
        a8 = Avx512F.PermuteVar16x32x2(b4, lo, b12);
        a9 = Avx512F.PermuteVar16x32x2(b4, hi, b12);
        a10 = Avx512F.PermuteVar16x32x2(b5, lo, b13);
        a11 = Avx512F.PermuteVar16x32x2(b5, hi, b13);
        a12 = Avx512F.PermuteVar16x32x2(b6, lo, b14);
        a13 = Avx512F.PermuteVar16x32x2(b6, hi, b14);
        a14 = Avx512F.PermuteVar16x32x2(b7, lo, b15);
        a15 = Avx512F.PermuteVar16x32x2(b7, hi, b15);

        a0.Store(dst);
        a1.Store(dst + (1 * dstStride));
        a2.Store(dst + (2 * dstStride));
        a3.Store(dst + (3 * dstStride));
        a4.Store(dst + (4 * dstStride));
        a5.Store(dst + (5 * dstStride));
        a6.Store(dst + (6 * dstStride));
        a7.Store(dst + (7 * dstStride));
        a8.Store(dst + (8 * dstStride));
        a9.Store(dst + (9 * dstStride));
        a10.Store(dst + (10 * dstStride));
        a11.Store(dst + (11 * dstStride));
        a12.Store(dst + (12 * dstStride));
        a13.Store(dst + (13 * dstStride));
        a14.Store(dst + (14 * dstStride));
        a15.Store(dst + (15 * dstStride));
    }

    /// <summary>
    /// y[r, 0..PanelWidth) (=|+=) Σ_k a[r, k] · panel[k, ·] for r &lt; <see cref="TileRows"/>; a has row stride
    /// <paramref name="lda"/>, y row stride <paramref name="ldy"/>. Without <paramref name="accumulate"/> the tile is
    /// overwritten and <paramref name="bias"/> (PanelWidth values, or null) is added.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(float* a, long lda, float* panel, int kc, float* y, long ldy, float* bias, bool accumulate)
    {
        if (Wide)
        {
            Tile512(a, lda, panel, kc, y, ldy, bias, accumulate);
        }
        else
        {
            Tile256(a, lda, panel, kc, y, ldy, bias, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512(float* a, long lda, float* b, int kc, float* y, long ldy, float* bias, bool accumulate)
    {
        float* a0 = a, a1 = a + lda, a2 = a + (2 * lda), a3 = a + (3 * lda), a4 = a + (4 * lda), a5 = a + (5 * lda);
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        for (int k = 0; k < kc; k++, b += 64)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var b2 = Vector512.Load(b + 32);
            var b3 = Vector512.Load(b + 48);
            var x = Vector512.Create(a0[k]);
            c00 = Vector512.MultiplyAddEstimate(x, b0, c00);
            c01 = Vector512.MultiplyAddEstimate(x, b1, c01);
            c02 = Vector512.MultiplyAddEstimate(x, b2, c02);
            c03 = Vector512.MultiplyAddEstimate(x, b3, c03);
            x = Vector512.Create(a1[k]);
            c10 = Vector512.MultiplyAddEstimate(x, b0, c10);
            c11 = Vector512.MultiplyAddEstimate(x, b1, c11);
            c12 = Vector512.MultiplyAddEstimate(x, b2, c12);
            c13 = Vector512.MultiplyAddEstimate(x, b3, c13);
            x = Vector512.Create(a2[k]);
            c20 = Vector512.MultiplyAddEstimate(x, b0, c20);
            c21 = Vector512.MultiplyAddEstimate(x, b1, c21);
            c22 = Vector512.MultiplyAddEstimate(x, b2, c22);
            c23 = Vector512.MultiplyAddEstimate(x, b3, c23);
            x = Vector512.Create(a3[k]);
            c30 = Vector512.MultiplyAddEstimate(x, b0, c30);
            c31 = Vector512.MultiplyAddEstimate(x, b1, c31);
            c32 = Vector512.MultiplyAddEstimate(x, b2, c32);
            c33 = Vector512.MultiplyAddEstimate(x, b3, c33);
            x = Vector512.Create(a4[k]);
            c40 = Vector512.MultiplyAddEstimate(x, b0, c40);
            c41 = Vector512.MultiplyAddEstimate(x, b1, c41);
            c42 = Vector512.MultiplyAddEstimate(x, b2, c42);
            c43 = Vector512.MultiplyAddEstimate(x, b3, c43);
            x = Vector512.Create(a5[k]);
            c50 = Vector512.MultiplyAddEstimate(x, b0, c50);
            c51 = Vector512.MultiplyAddEstimate(x, b1, c51);
            c52 = Vector512.MultiplyAddEstimate(x, b2, c52);
            c53 = Vector512.MultiplyAddEstimate(x, b3, c53);
        }

        Store512(y, bias, accumulate, c00, c01, c02, c03);
        Store512(y + ldy, bias, accumulate, c10, c11, c12, c13);
        Store512(y + (2 * ldy), bias, accumulate, c20, c21, c22, c23);
        Store512(y + (3 * ldy), bias, accumulate, c30, c31, c32, c33);
        Store512(y + (4 * ldy), bias, accumulate, c40, c41, c42, c43);
        Store512(y + (5 * ldy), bias, accumulate, c50, c51, c52, c53);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* y, float* bias, bool accumulate, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(y);
            v1 += Vector512.Load(y + 16);
            v2 += Vector512.Load(y + 32);
            v3 += Vector512.Load(y + 48);
        }
        else if (bias != null)
        {
            v0 += Vector512.Load(bias);
            v1 += Vector512.Load(bias + 16);
            v2 += Vector512.Load(bias + 32);
            v3 += Vector512.Load(bias + 48);
        }

        v0.Store(y);
        v1.Store(y + 16);
        v2.Store(y + 32);
        v3.Store(y + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile256(float* a, long lda, float* b, int kc, float* y, long ldy, float* bias, bool accumulate)
    {
        float* a0 = a, a1 = a + lda, a2 = a + (2 * lda), a3 = a + (3 * lda), a4 = a + (4 * lda), a5 = a + (5 * lda);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int k = 0; k < kc; k++, b += 16)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a0[k]);
            c00 = Vector256.MultiplyAddEstimate(x, b0, c00);
            c01 = Vector256.MultiplyAddEstimate(x, b1, c01);
            x = Vector256.Create(a1[k]);
            c10 = Vector256.MultiplyAddEstimate(x, b0, c10);
            c11 = Vector256.MultiplyAddEstimate(x, b1, c11);
            x = Vector256.Create(a2[k]);
            c20 = Vector256.MultiplyAddEstimate(x, b0, c20);
            c21 = Vector256.MultiplyAddEstimate(x, b1, c21);
            x = Vector256.Create(a3[k]);
            c30 = Vector256.MultiplyAddEstimate(x, b0, c30);
            c31 = Vector256.MultiplyAddEstimate(x, b1, c31);
            x = Vector256.Create(a4[k]);
            c40 = Vector256.MultiplyAddEstimate(x, b0, c40);
            c41 = Vector256.MultiplyAddEstimate(x, b1, c41);
            x = Vector256.Create(a5[k]);
            c50 = Vector256.MultiplyAddEstimate(x, b0, c50);
            c51 = Vector256.MultiplyAddEstimate(x, b1, c51);
        }

        Store256(y, bias, accumulate, c00, c01);
        Store256(y + ldy, bias, accumulate, c10, c11);
        Store256(y + (2 * ldy), bias, accumulate, c20, c21);
        Store256(y + (3 * ldy), bias, accumulate, c30, c31);
        Store256(y + (4 * ldy), bias, accumulate, c40, c41);
        Store256(y + (5 * ldy), bias, accumulate, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* y, float* bias, bool accumulate, Vector256<float> v0, Vector256<float> v1)
    {
        if (accumulate)
        {
            v0 += Vector256.Load(y);
            v1 += Vector256.Load(y + 8);
        }
        else if (bias != null)
        {
            v0 += Vector256.Load(bias);
            v1 += Vector256.Load(bias + 8);
        }

        v0.Store(y);
        v1.Store(y + 8);
    }

    /// <summary>y[o] = x · w[o, ·] (+ bias[o]) for o in [o0, o1): four weight rows per pass over x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gemv(float* x, float* w, float* bias, float* y, int inDim, int o0, int o1)
    {
        int o = o0;
        if (Wide && inDim >= 16)
        {
            for (; o + 4 <= o1; o += 4)
            {
                float* w0 = w + ((long)o * inDim), w1 = w0 + inDim, w2 = w1 + inDim, w3 = w2 + inDim;
                Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                int k = 0;
                for (; k + 16 <= inDim; k += 16)
                {
                    var v = Vector512.Load(x + k);
                    s0 = Vector512.MultiplyAddEstimate(v, Vector512.Load(w0 + k), s0);
                    s1 = Vector512.MultiplyAddEstimate(v, Vector512.Load(w1 + k), s1);
                    s2 = Vector512.MultiplyAddEstimate(v, Vector512.Load(w2 + k), s2);
                    s3 = Vector512.MultiplyAddEstimate(v, Vector512.Load(w3 + k), s3);
                }

                FinishRows(x, w0, w1, w2, w3, k, inDim, Vector512.Sum(s0), Vector512.Sum(s1), Vector512.Sum(s2), Vector512.Sum(s3), bias, y, o);
            }
        }
        else if (Vector256.IsHardwareAccelerated && inDim >= 8)
        {
            for (; o + 4 <= o1; o += 4)
            {
                float* w0 = w + ((long)o * inDim), w1 = w0 + inDim, w2 = w1 + inDim, w3 = w2 + inDim;
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                int k = 0;
                for (; k + 8 <= inDim; k += 8)
                {
                    var v = Vector256.Load(x + k);
                    s0 = Vector256.MultiplyAddEstimate(v, Vector256.Load(w0 + k), s0);
                    s1 = Vector256.MultiplyAddEstimate(v, Vector256.Load(w1 + k), s1);
                    s2 = Vector256.MultiplyAddEstimate(v, Vector256.Load(w2 + k), s2);
                    s3 = Vector256.MultiplyAddEstimate(v, Vector256.Load(w3 + k), s3);
                }

                FinishRows(x, w0, w1, w2, w3, k, inDim, Vector256.Sum(s0), Vector256.Sum(s1), Vector256.Sum(s2), Vector256.Sum(s3), bias, y, o);
            }
        }

        for (; o < o1; o++)
        {
            float acc = System.Numerics.Tensors.TensorPrimitives.Dot(new ReadOnlySpan<float>(x, inDim), new ReadOnlySpan<float>(w + ((long)o * inDim), inDim));
            y[o] = bias != null ? acc + bias[o] : acc;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishRows(float* x, float* w0, float* w1, float* w2, float* w3, int k, int inDim,
        float s0, float s1, float s2, float s3, float* bias, float* y, int o)
    {
        for (; k < inDim; k++)
        {
            float v = x[k];
            s0 += v * w0[k];
            s1 += v * w1[k];
            s2 += v * w2[k];
            s3 += v * w3[k];
        }

        if (bias != null)
        {
            s0 += bias[o];
            s1 += bias[o + 1];
            s2 += bias[o + 2];
            s3 += bias[o + 3];
        }

        y[o] = s0;
        y[o + 1] = s1;
        y[o + 2] = s2;
        y[o + 3] = s3;
    }
}
