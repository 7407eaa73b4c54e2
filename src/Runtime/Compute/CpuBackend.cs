using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace UNComp.Runtime.Compute;

/// <summary>
/// fp32 CPU implementation: System.Numerics.Tensors.TensorPrimitives for the vector kernels, Parallel.For over
/// output rows (linear layers) and heads (attention). Spans are pinned and handed to workers as pointers, so no
/// operation allocates beyond the thread-pool's own bookkeeping.
/// </summary>
public sealed unsafe partial class CpuBackend : IComputeBackend
{
    private readonly ParallelOptions _parallel;

    /// <summary>Creates the backend.</summary>
    /// <param name="maxDegreeOfParallelism">Worker limit; -1 = all cores.</param>
    public CpuBackend(int maxDegreeOfParallelism = -1)
    {
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
    }

    /// <summary>Environment variable that sets the worker count of <see cref="Shared"/> (unset or 0 = all cores).</summary>
    public const string ThreadsVariable = "UNCOMP_THREADS";

    /// <summary>
    /// The shared instance: all cores, or <c>UNCOMP_THREADS</c> workers when that variable holds a positive integer
    /// (on a busy shared machine one thread can beat two).
    /// </summary>
    public static CpuBackend Shared { get; } = new(ThreadsFromEnvironment());

    private static int ThreadsFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable(ThreadsVariable), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0 ? n : -1;

    /// <summary>Worker limit (-1 = all cores).</summary>
    public int MaxDegreeOfParallelism => _parallel.MaxDegreeOfParallelism;

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public void MatMul(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int rows, int inDim, int outDim)
    {
        CheckLength(x, (long)rows * inDim, nameof(x));
        CheckLength(w, (long)outDim * inDim, nameof(w));
        CheckLength(y, (long)rows * outDim, nameof(y));
        if (!bias.IsEmpty)
        {
            CheckLength(bias, outDim, nameof(bias));
        }

        fixed (float* px = x, pw = w, pb = bias, py = y)
        {
            var job = new MatMulJob(px, pw, bias.IsEmpty ? null : pb, py, rows, inDim, outDim);
            int blocks = (outDim + MatMulJob.Block - 1) / MatMulJob.Block;
            if ((long)rows * inDim * outDim < ParallelThreshold || blocks == 1 || _parallel.MaxDegreeOfParallelism == 1)
            {
                // Inline and allocation-free: decode-sized GEMVs are far slower through the thread pool.
                job.Run(0, outDim);
            }
            else
            {
                RunParallel(job, blocks);
            }
        }
    }

    private void RunParallel(MatMulJob job, int blocks) =>
        Parallel.For(0, blocks, _parallel, b => job.Run(b * MatMulJob.Block, Math.Min(job.OutDim, (b + 1) * MatMulJob.Block)));

    /// <summary>One linear layer call; <see cref="Run"/> computes output columns [o0, o1) for every row.</summary>
    private readonly struct MatMulJob
    {
        // A block of weight rows stays in cache while every input row streams past it.
        public const int Block = 16;

        private readonly float* _x, _w, _bias, _y;
        private readonly int _rows, _inDim, _yStride;

        public MatMulJob(float* x, float* w, float* bias, float* y, int rows, int inDim, int outDim, int yStride = 0)
        {
            _yStride = yStride > 0 ? yStride : outDim;
            _x = x;
            _w = w;
            _bias = bias;
            _y = y;
            _rows = rows;
            _inDim = inDim;
            OutDim = outDim;
        }

        public int OutDim { get; }

        public void Run(int o0, int o1)
        {
            float* xs = _x, ws = _w, bs = _bias, ys = _y;
            int rows = _rows, inDim = _inDim, outDim = _yStride;
            int r = 0;
            if (Vector256.IsHardwareAccelerated && inDim >= 8)
            {
                // 4 input rows × 2 weight rows per step: 8 accumulators, 6 loads per 8 multiply-adds.
                for (; r + 4 <= rows; r += 4)
                {
                    int o = o0;
                    for (; o + 2 <= o1; o += 2)
                    {
                        Tile4x2(xs + ((long)r * inDim), ws + ((long)o * inDim), inDim, ys + ((long)r * outDim) + o, outDim);
                    }

                    for (; o < o1; o++)
                    {
                        var wr = new ReadOnlySpan<float>(ws + ((long)o * inDim), inDim);
                        for (int i = 0; i < 4; i++)
                        {
                            ys[((long)(r + i) * outDim) + o] = TensorPrimitives.Dot(new ReadOnlySpan<float>(xs + ((long)(r + i) * inDim), inDim), wr);
                        }
                    }

                    if (bs != null)
                    {
                        for (int i = 0; i < 4; i++)
                        {
                            for (int oo = o0; oo < o1; oo++)
                            {
                                ys[((long)(r + i) * outDim) + oo] += bs[oo];
                            }
                        }
                    }
                }
            }

            for (; r < rows; r++)
            {
                var xr = new ReadOnlySpan<float>(xs + ((long)r * inDim), inDim);
                float* yr = ys + ((long)r * outDim);
                for (int o = o0; o < o1; o++)
                {
                    float acc = TensorPrimitives.Dot(xr, new ReadOnlySpan<float>(ws + ((long)o * inDim), inDim));
                    yr[o] = bs != null ? acc + bs[o] : acc;
                }
            }
        }
    }

    /// <summary>Multiply-adds below which an operation runs on the calling thread.</summary>
    public const long ParallelThreshold = 1L << 21;

    private static void Tile4x2(float* x, float* w, int inDim, float* y, int yStride)
    {
        float* x1 = x + inDim, x2 = x1 + inDim, x3 = x2 + inDim, w1 = w + inDim;
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
        Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
        int k = 0;
        for (; k + 8 <= inDim; k += 8)
        {
            var wa = Vector256.Load(w + k);
            var wb = Vector256.Load(w1 + k);
            var v = Vector256.Load(x + k);
            a00 = Vector256.MultiplyAddEstimate(v, wa, a00);
            a01 = Vector256.MultiplyAddEstimate(v, wb, a01);
            v = Vector256.Load(x1 + k);
            a10 = Vector256.MultiplyAddEstimate(v, wa, a10);
            a11 = Vector256.MultiplyAddEstimate(v, wb, a11);
            v = Vector256.Load(x2 + k);
            a20 = Vector256.MultiplyAddEstimate(v, wa, a20);
            a21 = Vector256.MultiplyAddEstimate(v, wb, a21);
            v = Vector256.Load(x3 + k);
            a30 = Vector256.MultiplyAddEstimate(v, wa, a30);
            a31 = Vector256.MultiplyAddEstimate(v, wb, a31);
        }

        float s00 = Vector256.Sum(a00), s01 = Vector256.Sum(a01), s10 = Vector256.Sum(a10), s11 = Vector256.Sum(a11);
        float s20 = Vector256.Sum(a20), s21 = Vector256.Sum(a21), s30 = Vector256.Sum(a30), s31 = Vector256.Sum(a31);
        for (; k < inDim; k++)
        {
            float wa = w[k], wb = w1[k];
            s00 += x[k] * wa;
            s01 += x[k] * wb;
            s10 += x1[k] * wa;
            s11 += x1[k] * wb;
            s20 += x2[k] * wa;
            s21 += x2[k] * wb;
            s30 += x3[k] * wa;
            s31 += x3[k] * wb;
        }

        y[0] = s00;
        y[1] = s01;
        y[yStride] = s10;
        y[yStride + 1] = s11;
        y[2 * yStride] = s20;
        y[(2 * yStride) + 1] = s21;
        y[3 * yStride] = s30;
        y[(3 * yStride) + 1] = s31;
    }

    /// <inheritdoc />
    public void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y, int rows, int width)
    {
        int dim = width;
        CheckLength(x, (long)rows * dim, nameof(x));
        CheckLength(y, (long)rows * dim, nameof(y));
        CheckLength(weight, dim, nameof(weight));
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var yr = y.Slice(r * dim, dim);
            float ss = TensorPrimitives.Dot(xr, xr) / dim;
            float inv = 1f / MathF.Sqrt(ss + eps);
            TensorPrimitives.Multiply(xr, inv, yr);
            TensorPrimitives.Multiply(yr, weight, yr);
        }
    }

    /// <inheritdoc />
    public void Rope(Span<float> x, ReadOnlySpan<int> positions, int heads, int headDim, ReadOnlySpan<float> invFreq)
    {
        int half = headDim / 2;
        CheckLength(x, (long)positions.Length * heads * headDim, nameof(x));
        CheckLength(invFreq, half, nameof(invFreq));
        Span<float> cos = half <= 512 ? stackalloc float[half] : new float[half];
        Span<float> sin = half <= 512 ? stackalloc float[half] : new float[half];
        for (int t = 0; t < positions.Length; t++)
        {
            float pos = positions[t];
            for (int i = 0; i < half; i++)
            {
                float angle = pos * invFreq[i];
                cos[i] = MathF.Cos(angle);
                sin[i] = MathF.Sin(angle);
            }

            for (int h = 0; h < heads; h++)
            {
                var v = x.Slice(((t * heads) + h) * headDim, headDim);
                for (int i = 0; i < half; i++)
                {
                    float a = v[i];
                    float b = v[i + half];
                    v[i] = (a * cos[i]) - (b * sin[i]);
                    v[i + half] = (b * cos[i]) + (a * sin[i]);
                }
            }
        }
    }

    /// <inheritdoc />
    public void SwiGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y)
    {
        CheckLength(up, gate.Length, nameof(up));
        CheckLength(y, gate.Length, nameof(y));
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            y[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    /// <inheritdoc />
    public void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(a, b, y);

    /// <inheritdoc />
    public void Softmax(Span<float> x) => TensorPrimitives.SoftMax(x, x);

    private static void CheckLength(ReadOnlySpan<float> s, long expected, string name)
    {
        if (s.Length < expected)
        {
            throw new ArgumentException($"{name} holds {s.Length} floats; {expected} are needed.", name);
        }
    }

    private static void CheckLength(ReadOnlySpan<int> s, long expected, string name)
    {
        if (s.Length < expected)
        {
            throw new ArgumentException($"{name} holds {s.Length} values; {expected} are needed.", name);
        }
    }
}
