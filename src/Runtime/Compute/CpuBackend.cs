using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace UNComp.Runtime.Compute;

/// <summary>
/// fp32 CPU implementation: packed register-tiled GEMM and 4-row GEMV for linear layers (<see cref="CpuSgemm"/>,
/// 512-bit or 256-bit vectors chosen at start-up), TensorPrimitives for the elementwise kernels, and a persistent
/// worker team (<see cref="CpuWorkerTeam"/>) that splits linear layers by output columns and token rows, attention
/// by heads and query-row blocks, and elementwise work by rows. Each operation takes only as many workers as its
/// size pays for (small decode GEMVs run on the calling thread), never more than
/// <see cref="MaxDegreeOfParallelism"/>. Spans are pinned and handed to workers as pointers; scratch comes from
/// the array pool, so operations do not allocate once warm.
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

    /// <summary>Vector instruction set the kernels use on this processor: <c>avx512</c>, <c>avx2</c> or <c>scalar</c>.</summary>
    public static string KernelIsa => CpuSgemm.Isa;

    /// <summary>
    /// Dot products of a few query rows against many key rows (both contiguous along the inner dimension), as decode
    /// attention needs them; <see cref="Run"/> computes output columns [o0, o1) for every row.
    /// </summary>
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

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    /// <summary>Elements a worker must get before an elementwise operation uses another thread.</summary>
    private const long ElementsPerWorker = 1L << 14;

    /// <inheritdoc />
    public void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y, int rows, int width)
    {
        CheckLength(x, (long)rows * width, nameof(x));
        CheckLength(y, (long)rows * width, nameof(y));
        CheckLength(weight, width, nameof(weight));
        fixed (float* px = x, pw = weight, py = y)
        {
            var job = new RowsJob { X = px, W = pw, Y = py, Width = width, Eps = eps };
            RunRows(&RmsNormRows, &job, rows, width);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RmsNormRows(void* context, int task, int worker)
    {
        ref var job = ref Unsafe.AsRef<RowsJob>(context);
        int dim = job.Width;
        var weight = new ReadOnlySpan<float>(job.W, dim);
        for (int r = job.Start(task); r < job.End(task); r++)
        {
            var xr = new ReadOnlySpan<float>(job.X + ((long)r * dim), dim);
            var yr = new Span<float>(job.Y + ((long)r * dim), dim);
            float ss = TensorPrimitives.Dot(xr, xr) / dim;
            float inv = 1f / MathF.Sqrt(ss + job.Eps);
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
        fixed (float* px = x, pf = invFreq)
        fixed (int* pp = positions)
        {
            var job = new RowsJob { X = pf, Y = px, Positions = pp, Width = heads, HeadDim = headDim };
            RunRows(&RopeRows, &job, positions.Length, heads * headDim);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RopeRows(void* context, int task, int worker)
    {
        ref var job = ref Unsafe.AsRef<RowsJob>(context);
        int heads = job.Width, headDim = job.HeadDim, half = headDim / 2;
        Span<float> cos = half <= 512 ? stackalloc float[half] : new float[half];
        Span<float> sin = half <= 512 ? stackalloc float[half] : new float[half];
        for (int t = job.Start(task); t < job.End(task); t++)
        {
            float pos = job.Positions[t];
            for (int i = 0; i < half; i++)
            {
                float angle = pos * job.X[i];
                cos[i] = MathF.Cos(angle);
                sin[i] = MathF.Sin(angle);
            }

            for (int h = 0; h < heads; h++)
            {
                var v = new Span<float>(job.Y + ((((long)t * heads) + h) * headDim), headDim);
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
        fixed (float* pg = gate, pu = up, py = y)
        {
            // Chunks of 1,024 elements are the "rows" of the job.
            var job = new RowsJob { X = pg, W = pu, Y = py, Width = gate.Length };
            RunRows(&SwiGluRows, &job, (gate.Length + SwiGluChunk - 1) / SwiGluChunk, SwiGluChunk);
        }
    }

    private const int SwiGluChunk = 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SwiGluRows(void* context, int task, int worker)
    {
        ref var job = ref Unsafe.AsRef<RowsJob>(context);
        int i = job.Start(task) * SwiGluChunk, end = Math.Min(job.Width, job.End(task) * SwiGluChunk);
        float* g = job.X, u = job.W, y = job.Y;
        // silu(g)·up = g / (1 + e^(−g)) · up, as PyTorch computes silu; y may alias gate.
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= end; i += 16)
            {
                var gv = Vector512.Load(g + i);
                (gv / (Vector512<float>.One + FastExp.Exp(-gv)) * Vector512.Load(u + i)).Store(y + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= end; i += 8)
            {
                var gv = Vector256.Load(g + i);
                (gv / (Vector256<float>.One + FastExp.Exp(-gv)) * Vector256.Load(u + i)).Store(y + i);
            }
        }

        for (; i < end; i++)
        {
            float gi = g[i];
            y[i] = gi / (1f + MathF.Exp(-gi)) * u[i];
        }
    }

    /// <summary>Splits <paramref name="rows"/> rows of <paramref name="rowWork"/> elements each into one range per worker.</summary>
    private void RunRows(delegate*<void*, int, int, void> body, RowsJob* job, int rows, int rowWork)
    {
        if (rows <= 0)
        {
            return;
        }

        int workers = Math.Min(rows, WorkersFor((long)rows * rowWork, ElementsPerWorker));
        job->Rows = rows;
        job->PerTask = (rows + workers - 1) / workers;
        Team.Run(body, job, (rows + job->PerTask - 1) / job->PerTask, workers);
    }

    /// <summary>Context of the row-parallel elementwise operations.</summary>
    private struct RowsJob
    {
        public float* X, W, Y;
        public int* Positions;
        public int Rows, PerTask, Width, HeadDim;
        public float Eps;

        public readonly int Start(int task) => task * PerTask;

        public readonly int End(int task) => Math.Min(Rows, (task + 1) * PerTask);
    }

    /// <inheritdoc />
    public void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(a, b, y);

    /// <inheritdoc />
    public void Softmax(Span<float> x) => FastExp.Softmax(x);

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
