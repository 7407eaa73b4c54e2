using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace UNComp.Runtime.Compute;

/// <summary>
/// fp32 CPU implementation: System.Numerics.Tensors.TensorPrimitives for the vector kernels, Parallel.For over
/// output rows (linear layers) and heads (attention). Spans are pinned and handed to workers as pointers, so no
/// operation allocates beyond the thread-pool's own bookkeeping.
/// </summary>
public sealed unsafe class CpuBackend : IComputeBackend
{
    private readonly ParallelOptions _parallel;

    /// <summary>Creates the backend.</summary>
    /// <param name="maxDegreeOfParallelism">Worker limit; -1 = all cores.</param>
    public CpuBackend(int maxDegreeOfParallelism = -1)
    {
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
    }

    /// <summary>A shared instance using every core.</summary>
    public static CpuBackend Shared { get; } = new();

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

    /// <summary>
    /// Runs body(0..count-1): on the thread pool when the work (multiply-adds) is large enough to pay for the
    /// hand-off, inline otherwise (small GEMVs are 30× slower through Parallel.For on a busy machine).
    /// </summary>
    private void For(int count, long work, Action<int> body)
    {
        if (work < ParallelThreshold || count == 1 || _parallel.MaxDegreeOfParallelism == 1)
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }
        }
        else
        {
            Parallel.For(0, count, _parallel, body);
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

    /// <inheritdoc />
    public void CausalAttention(in CausalAttentionArgs args)
    {
        int n = args.Tokens, heads = args.Heads, kvHeads = args.KvHeads, d = args.HeadDim;
        CheckLength(args.Q, (long)n * heads * d, "Q");
        CheckLength(args.K, (long)n * kvHeads * d, "K");
        CheckLength(args.V, (long)n * kvHeads * d, "V");
        CheckLength(args.Output, (long)n * heads * d, "Output");
        if (args.Scratch.Length < (long)heads * n)
        {
            throw new ArgumentException($"scratch needs {heads * n} floats.", nameof(args));
        }

        int wa = args.WindowSumsA.IsEmpty ? 0 : Math.Min(args.WindowA, n);
        int wb = args.WindowSumsB.IsEmpty ? 0 : Math.Min(args.WindowB, n);
        bool cols = !args.ColumnSums.IsEmpty;
        float scale = args.Scale;
        int group = heads / kvHeads;
        // K and V of every KV head transposed to [d × n] once, so each query row is d vectorised passes over
        // contiguous memory instead of n short dot products.
        float[] transposed = ArrayPool<float>.Shared.Rent(2 * kvHeads * d * n);
        try
        {
            var kt = transposed.AsSpan(0, kvHeads * d * n);
            var vt = transposed.AsSpan(kvHeads * d * n, kvHeads * d * n);
            for (int j = 0; j < n; j++)
            {
                for (int g = 0; g < kvHeads; g++)
                {
                    var kj = args.K.Slice(((j * kvHeads) + g) * d, d);
                    var vj = args.V.Slice(((j * kvHeads) + g) * d, d);
                    for (int e = 0; e < d; e++)
                    {
                        kt[(((g * d) + e) * n) + j] = kj[e];
                        vt[(((g * d) + e) * n) + j] = vj[e];
                    }
                }
            }

            fixed (float* pq = args.Q, po = args.Output, ps = args.Scratch, pt = transposed,
                   pa = args.WindowSumsA, pb = args.WindowSumsB, pc = args.ColumnSums)
            {
                nint aq = (nint)pq, ao = (nint)po, asc = (nint)ps, at = (nint)pt, aa = (nint)pa, ab = (nint)pb, ac = (nint)pc;
                long vOffset = (long)kvHeads * d * n;
                void RunHead(int h)
                {
                    float* q = (float*)aq, o = (float*)ao;
                    int kvh = h / group;
                    float* kh = (float*)at + ((long)kvh * d * n);
                    float* vh = (float*)at + vOffset + ((long)kvh * d * n);
                    var row = new Span<float>((float*)asc + ((long)h * n), n);
                    var sumA = wa > 0 ? new Span<float>((float*)aa + ((long)h * n), n) : default;
                    var sumB = wb > 0 ? new Span<float>((float*)ab + ((long)h * n), n) : default;
                    var sumC = cols ? new Span<float>((float*)ac + ((long)h * n), n) : default;
                    sumA.Clear();
                    sumB.Clear();
                    sumC.Clear();
                    for (int i = 0; i < n; i++)
                    {
                        float* qi = q + ((((long)i * heads) + h) * d);
                        var scores = row.Slice(0, i + 1);
                        scores.Clear();
                        for (int e = 0; e < d; e++)
                        {
                            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(kh + ((long)e * n), i + 1), qi[e] * scale, scores, scores);
                        }

                        TensorPrimitives.SoftMax(scores, scores);
                        float* oi = o + ((((long)i * heads) + h) * d);
                        for (int e = 0; e < d; e++)
                        {
                            oi[e] = TensorPrimitives.Dot(scores, new ReadOnlySpan<float>(vh + ((long)e * n), i + 1));
                        }

                        if (i >= n - wa)
                        {
                            TensorPrimitives.Add(sumA.Slice(0, i + 1), scores, sumA.Slice(0, i + 1));
                        }

                        if (i >= n - wb)
                        {
                            TensorPrimitives.Add(sumB.Slice(0, i + 1), scores, sumB.Slice(0, i + 1));
                        }

                        if (cols)
                        {
                            TensorPrimitives.Add(sumC.Slice(0, i + 1), scores, sumC.Slice(0, i + 1));
                        }
                    }
                }

                For(heads, (long)n * n * d * heads, RunHead);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(transposed);
        }
    }

    /// <inheritdoc />
    public void DecodeAttention(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, ReadOnlySpan<float> newKey,
        ReadOnlySpan<float> newValue, Span<float> probs, Span<float> output, int length, int queryHeads, int headDim, float scale)
    {
        int d = headDim;
        CheckLength(q, (long)queryHeads * d, nameof(q));
        CheckLength(keys, (long)length * d, nameof(keys));
        CheckLength(values, (long)length * d, nameof(values));
        CheckLength(probs, (long)queryHeads * (length + 1), nameof(probs));
        CheckLength(output, (long)queryHeads * d, nameof(output));
        fixed (float* pq = q, pk = keys, pv = values, pp = probs, po = output)
        {
            if (length > 0)
            {
                // All query heads of the unit against the cached keys at once (register-tiled like a linear layer).
                new MatMulJob(pq, pk, null, pp, queryHeads, d, length, length + 1).Run(0, length);
            }

            for (int h = 0; h < queryHeads; h++)
            {
                var p = probs.Slice(h * (length + 1), length + 1);
                TensorPrimitives.Multiply(p.Slice(0, length), scale, p.Slice(0, length));
                p[length] = TensorPrimitives.Dot(q.Slice(h * d, d), newKey) * scale;
                TensorPrimitives.SoftMax(p, p);
                WeightedSum(pv, pp + ((long)h * (length + 1)), length, d, po + ((long)h * d));
                TensorPrimitives.MultiplyAdd(newValue, p[length], output.Slice(h * d, d), output.Slice(h * d, d));
            }
        }
    }

    /// <summary>out[0..d) = Σ_j p[j] · v[j, 0..d), with the accumulators held in registers for 32 columns at a time.</summary>
    private static void WeightedSum(float* v, float* p, int n, int d, float* output)
    {
        int c = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 32 <= d; c += 32)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int j = 0; j < n; j++)
                {
                    var pj = Vector256.Create(p[j]);
                    float* row = v + ((long)j * d) + c;
                    a0 = Vector256.MultiplyAddEstimate(Vector256.Load(row), pj, a0);
                    a1 = Vector256.MultiplyAddEstimate(Vector256.Load(row + 8), pj, a1);
                    a2 = Vector256.MultiplyAddEstimate(Vector256.Load(row + 16), pj, a2);
                    a3 = Vector256.MultiplyAddEstimate(Vector256.Load(row + 24), pj, a3);
                }

                a0.Store(output + c);
                a1.Store(output + c + 8);
                a2.Store(output + c + 16);
                a3.Store(output + c + 24);
            }

            for (; c + 8 <= d; c += 8)
            {
                Vector256<float> a0 = default;
                for (int j = 0; j < n; j++)
                {
                    a0 = Vector256.MultiplyAddEstimate(Vector256.Load(v + ((long)j * d) + c), Vector256.Create(p[j]), a0);
                }

                a0.Store(output + c);
            }
        }

        for (; c < d; c++)
        {
            float acc = 0;
            for (int j = 0; j < n; j++)
            {
                acc += p[j] * v[((long)j * d) + c];
            }

            output[c] = acc;
        }
    }

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
