using System.Numerics.Tensors;

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
            nint ax = (nint)px, aw = (nint)pw, ab = (nint)pb, ay = (nint)py;
            bool hasBias = !bias.IsEmpty;

            // Blocks of output rows: a block of weights stays in cache while every input row streams past it.
            const int Block = 16;
            int blocks = (outDim + Block - 1) / Block;
            Parallel.For(0, blocks, _parallel, b =>
            {
                float* xs = (float*)ax, ws = (float*)aw, bs = (float*)ab, ys = (float*)ay;
                int o0 = b * Block;
                int o1 = Math.Min(outDim, o0 + Block);
                for (int r = 0; r < rows; r++)
                {
                    var xr = new ReadOnlySpan<float>(xs + ((long)r * inDim), inDim);
                    float* yr = ys + ((long)r * outDim);
                    for (int o = o0; o < o1; o++)
                    {
                        float acc = TensorPrimitives.Dot(xr, new ReadOnlySpan<float>(ws + ((long)o * inDim), inDim));
                        yr[o] = hasBias ? acc + bs[o] : acc;
                    }
                }
            });
        }
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
        fixed (float* pq = args.Q, pk = args.K, pv = args.V, po = args.Output, ps = args.Scratch,
               pa = args.WindowSumsA, pb = args.WindowSumsB, pc = args.ColumnSums)
        {
            nint aq = (nint)pq, ak = (nint)pk, av = (nint)pv, ao = (nint)po, asc = (nint)ps, aa = (nint)pa, ab = (nint)pb, ac = (nint)pc;
            Parallel.For(0, heads, _parallel, h =>
            {
                float* q = (float*)aq, k = (float*)ak, v = (float*)av, o = (float*)ao;
                int kvh = h / group;
                var row = new Span<float>((float*)asc + ((long)h * n), n);
                var sumA = wa > 0 ? new Span<float>((float*)aa + ((long)h * n), n) : default;
                var sumB = wb > 0 ? new Span<float>((float*)ab + ((long)h * n), n) : default;
                var sumC = cols ? new Span<float>((float*)ac + ((long)h * n), n) : default;
                sumA.Clear();
                sumB.Clear();
                sumC.Clear();
                for (int i = 0; i < n; i++)
                {
                    var qi = new ReadOnlySpan<float>(q + ((((long)i * heads) + h) * d), d);
                    var scores = row.Slice(0, i + 1);
                    for (int j = 0; j <= i; j++)
                    {
                        scores[j] = TensorPrimitives.Dot(qi, new ReadOnlySpan<float>(k + ((((long)j * kvHeads) + kvh) * d), d)) * scale;
                    }

                    TensorPrimitives.SoftMax(scores, scores);
                    var oi = new Span<float>(o + ((((long)i * heads) + h) * d), d);
                    oi.Clear();
                    for (int j = 0; j <= i; j++)
                    {
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(v + ((((long)j * kvHeads) + kvh) * d), d), scores[j], oi, oi);
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
            });
        }
    }

    /// <inheritdoc />
    public void DecodeAttention(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, ReadOnlySpan<float> newKey,
        ReadOnlySpan<float> newValue, Span<float> probs, Span<float> output, int length, int queryHeads, int headDim, float scale)
    {
        int d = headDim;
        for (int h = 0; h < queryHeads; h++)
        {
            var qh = q.Slice(h * d, d);
            var p = probs.Slice(h * (length + 1), length + 1);
            for (int j = 0; j < length; j++)
            {
                p[j] = TensorPrimitives.Dot(qh, keys.Slice(j * d, d)) * scale;
            }

            p[length] = TensorPrimitives.Dot(qh, newKey) * scale;
            TensorPrimitives.SoftMax(p, p);
            var oh = output.Slice(h * d, d);
            oh.Clear();
            for (int j = 0; j < length; j++)
            {
                TensorPrimitives.MultiplyAdd(values.Slice(j * d, d), p[j], oh, oh);
            }

            TensorPrimitives.MultiplyAdd(newValue, p[length], oh, oh);
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
