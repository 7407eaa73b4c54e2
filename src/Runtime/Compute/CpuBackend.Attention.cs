using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace UNComp.Runtime.Compute;

/// <summary>CPU attention: exact causal prefill attention with statistics, and decode attention.</summary>
public sealed unsafe partial class CpuBackend
{
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

        // Per KV head: keys transposed to [d × stride] (scores for 4 query rows × 32 keys per register tile) and
        // values contiguous [n × d] (weighted sums for 4 rows × 32 columns per tile). Per worker: 4 score rows.
        int workers = WorkersFor((long)n * n * d * heads, GemmWorkPerWorker);
        // Transposed keys and score rows have a stride padded to 32, so score tiles never need a scalar tail: the
        // extra scores are computed from padding and then dropped with the causally masked ones. 16 floats more keep
        // the stride off multiples of 4 KiB (n = 1,024: the 32 rows of keys a score tile reads fell into the same L1
        // sets; attention took 10 ms instead of 8 ms per layer in tools/bench/CpuKernels).
        int stride = ((n + 31) & ~31) + 16;
        long kvBlock = (long)kvHeads * d * stride;
        // 64-byte aligned (16 floats of slack): every 512-bit load of keys, values and score rows then stays within one
        // cache line, as the stride is a multiple of 16 floats.
        float[] work = ArrayPool<float>.Shared.Rent((int)((2 * kvBlock) + ((long)workers * RowBlock * stride) + 16));
        try
        {
            fixed (float* pk = args.K, pv = args.V, pwork = work)
            {
                float* pw = Align(pwork);
                var layout = new KvLayoutJob { K = pk, V = pv, KeysT = pw, Values = pw + kvBlock, Tokens = n, Stride = stride, KvHeads = kvHeads, HeadDim = d };
                Team.Run(&KvLayoutTask, &layout, kvHeads * (d + 1), WorkersFor(2L * n * kvHeads * d, ElementsPerWorker));
            }

            // Query rows before the first one any statistic reads are independent: they are split into blocks
            // across workers. Rows from there on add into per-head sums, so one task per head runs them in order.
            int statsFrom = cols ? 0 : n - Math.Max(wa, wb);
            int freeBlocks = (statsFrom + AttentionTaskRows - 1) / AttentionTaskRows;
            fixed (float* pq = args.Q, po = args.Output, pwork = work, pa = args.WindowSumsA, pb = args.WindowSumsB, pc = args.ColumnSums)
            {
                float* pw = Align(pwork);
                var job = new AttentionJob
                {
                    Q = pq, Output = po, KeysT = pw, Values = pw + kvBlock, Rows = pw + (2 * kvBlock),
                    SumA = pa, SumB = pb, SumC = pc, WindowA = wa, WindowB = wb, Columns = cols,
                    Tokens = n, Stride = stride, Heads = heads, HeadDim = d, Group = group, Scale = scale,
                    StatsFrom = statsFrom, FreeBlocks = freeBlocks, TasksPerHead = freeBlocks + (statsFrom < n ? 1 : 0),
                };
                Team.Run(&AttentionTask, &job, heads * job.TasksPerHead, workers);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(work);
        }
    }

    private const int RowBlock = 4;

    /// <summary>Keys transposed per KV head to [d × stride], values copied per KV head to [n × d].</summary>
    private struct KvLayoutJob
    {
        public float* K, V, KeysT, Values;
        public int Tokens, Stride, KvHeads, HeadDim;
    }

    /// <summary>Task g·(d + 1) + e: row e of KV head g's transposed keys; e = d: KV head g's values.</summary>
    private static void KvLayoutTask(void* context, int task, int worker)
    {
        ref var job = ref Unsafe.AsRef<KvLayoutJob>(context);
        int d = job.HeadDim, n = job.Tokens, kvHeads = job.KvHeads;
        int g = task / (d + 1), e = task % (d + 1);
        long rowStride = (long)kvHeads * d;
        if (e < d)
        {
            float* src = job.K + ((long)g * d) + e;
            float* dst = job.KeysT + ((((long)g * d) + e) * job.Stride);
            for (int j = 0; j < n; j++)
            {
                dst[j] = src[j * rowStride];
            }
        }
        else
        {
            for (int j = 0; j < n; j++)
            {
                new ReadOnlySpan<float>(job.V + (j * rowStride) + ((long)g * d), d).CopyTo(new Span<float>(job.Values + ((((long)g * job.Stride) + j) * d), d));
            }
        }
    }

    /// <summary>Query rows per attention task (a multiple of <see cref="RowBlock"/>).</summary>
    private const int AttentionTaskRows = 64;

    private static void AttentionTask(void* context, int task, int worker)
    {
        ref var job = ref Unsafe.AsRef<AttentionJob>(context);
        // Costliest first (later rows see more keys): slot 0 is the statistics tail, then free blocks from the end.
        int h = task % job.Heads, slot = task / job.Heads;
        int block = job.TasksPerHead - 1 - slot;
        if (block >= job.FreeBlocks)
        {
            job.RunRows(h, job.StatsFrom, job.Tokens, worker, statistics: true);
        }
        else
        {
            job.RunRows(h, block * AttentionTaskRows, Math.Min(job.StatsFrom, (block + 1) * AttentionTaskRows), worker, statistics: false);
        }
    }

    /// <summary>Causal attention of one query head over a range of query rows, 4 rows at a time.</summary>
    private readonly struct AttentionJob
    {
        public float* Q { get; init; }

        public float* Output { get; init; }

        public float* KeysT { get; init; }

        public float* Values { get; init; }

        public float* Rows { get; init; }

        public float* SumA { get; init; }

        public float* SumB { get; init; }

        public float* SumC { get; init; }

        public int WindowA { get; init; }

        public int WindowB { get; init; }

        public bool Columns { get; init; }

        public int Tokens { get; init; }

        /// <summary>Row stride of the transposed keys and of the score rows (tokens rounded up to 32, plus 16).</summary>
        public int Stride { get; init; }

        public int Heads { get; init; }

        public int HeadDim { get; init; }

        public int Group { get; init; }

        public float Scale { get; init; }

        public int StatsFrom { get; init; }

        public int FreeBlocks { get; init; }

        public int TasksPerHead { get; init; }

        /// <summary>Rows [start, end) of head <paramref name="h"/>; with <paramref name="statistics"/> the head's sums are cleared and filled.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void RunRows(int h, int start, int end, int worker, bool statistics)
        {
            int n = Tokens, d = HeadDim, heads = Heads, st = Stride;
            int kvh = h / Group;
            float* kt = KeysT + ((long)kvh * d * st);
            float* v = Values + ((long)kvh * st * d);
            float* s = Rows + ((long)worker * RowBlock * st);
            var sumA = statistics && WindowA > 0 ? new Span<float>(SumA + ((long)h * n), n) : default;
            var sumB = statistics && WindowB > 0 ? new Span<float>(SumB + ((long)h * n), n) : default;
            var sumC = statistics && Columns ? new Span<float>(SumC + ((long)h * n), n) : default;
            sumA.Clear();
            sumB.Clear();
            sumC.Clear();
            Span<float> inverseSums = stackalloc float[RowBlock];
            for (int i0 = start; i0 < end; i0 += RowBlock)
            {
                int rows = Math.Min(RowBlock, end - i0);
                int m = i0 + rows; // keys any row of the block may see
                if (rows == RowBlock)
                {
                    Scores4(Q + ((((long)i0 * heads) + h) * d), (long)heads * d, kt, st, d, (m + 31) & ~31, Scale, s);
                }
                else
                {
                    for (int r = 0; r < rows; r++)
                    {
                        ScoresRow(Q + ((((long)(i0 + r) * heads) + h) * d), kt, st, d, m, Scale, s + ((long)r * st));
                    }
                }

                for (int r = 0; r < rows; r++)
                {
                    int i = i0 + r;
                    // Unnormalized probabilities (later keys zeroed: causal); the output row is scaled once below.
                    // Every row takes this path, with or without statistics, so a cache policy never changes the output.
                    float inverse = 1 / FastExp.ExpRowMasked(s + ((long)r * st), i + 1, m);
                    inverseSums[r] = inverse;
                    if (!statistics)
                    {
                        continue;
                    }

                    var p = new ReadOnlySpan<float>(s + ((long)r * st), i + 1);
                    if (i >= n - WindowA)
                    {
                        TensorPrimitives.MultiplyAdd(p, inverse, sumA.Slice(0, i + 1), sumA.Slice(0, i + 1));
                    }

                    if (i >= n - WindowB)
                    {
                        TensorPrimitives.MultiplyAdd(p, inverse, sumB.Slice(0, i + 1), sumB.Slice(0, i + 1));
                    }

                    if (Columns)
                    {
                        TensorPrimitives.MultiplyAdd(p, inverse, sumC.Slice(0, i + 1), sumC.Slice(0, i + 1));
                    }
                }

                int pr = 0;
                if (rows == RowBlock && Vector512.IsHardwareAccelerated && d % 32 == 0)
                {
                    WeightedSum4(v, s, st, m, d, Output + ((((long)i0 * heads) + h) * d), (long)heads * d);
                    pr = RowBlock;
                }

                for (; pr + 2 <= rows; pr += 2)
                {
                    WeightedSum2(v, s + ((long)pr * st), s + ((long)(pr + 1) * st), m, d,
                        Output + ((((long)(i0 + pr) * heads) + h) * d), Output + ((((long)(i0 + pr + 1) * heads) + h) * d));
                }

                for (; pr < rows; pr++)
                {
                    WeightedSum(v, s + ((long)pr * st), m, d, Output + ((((long)(i0 + pr) * heads) + h) * d));
                }

                for (int r = 0; r < rows; r++)
                {
                    var o = new Span<float>(Output + ((((long)(i0 + r) * heads) + h) * d), d);
                    TensorPrimitives.Multiply(o, inverseSums[r], o);
                }
            }
        }
    }

    /// <summary>s[r·n + j] = scale · q_r · k_j for 4 query rows (q stride <paramref name="qStride"/>) and keys j &lt; m.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores4(float* q, long qStride, float* kt, int n, int d, int m, float scale, float* s)
    {
        float* q0 = q, q1 = q + qStride, q2 = q + (2 * qStride), q3 = q + (3 * qStride);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(scale);
            for (; j + 32 <= m; j += 32)
            {
                Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector512<float> a20 = default, a21 = default, a30 = default, a31 = default;
                for (int e = 0; e < d; e++)
                {
                    float* ke = kt + ((long)e * n) + j;
                    var k0 = Vector512.Load(ke);
                    var k1 = Vector512.Load(ke + 16);
                    var b = Vector512.Create(q0[e]);
                    a00 = Vector512.MultiplyAddEstimate(b, k0, a00);
                    a01 = Vector512.MultiplyAddEstimate(b, k1, a01);
                    b = Vector512.Create(q1[e]);
                    a10 = Vector512.MultiplyAddEstimate(b, k0, a10);
                    a11 = Vector512.MultiplyAddEstimate(b, k1, a11);
                    b = Vector512.Create(q2[e]);
                    a20 = Vector512.MultiplyAddEstimate(b, k0, a20);
                    a21 = Vector512.MultiplyAddEstimate(b, k1, a21);
                    b = Vector512.Create(q3[e]);
                    a30 = Vector512.MultiplyAddEstimate(b, k0, a30);
                    a31 = Vector512.MultiplyAddEstimate(b, k1, a31);
                }

                (a00 * vs).Store(s + j);
                (a01 * vs).Store(s + j + 16);
                (a10 * vs).Store(s + n + j);
                (a11 * vs).Store(s + n + j + 16);
                (a20 * vs).Store(s + (2L * n) + j);
                (a21 * vs).Store(s + (2L * n) + j + 16);
                (a30 * vs).Store(s + (3L * n) + j);
                (a31 * vs).Store(s + (3L * n) + j + 16);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(scale);
            for (; j + 16 <= m; j += 16)
            {
                Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
                for (int e = 0; e < d; e++)
                {
                    float* ke = kt + ((long)e * n) + j;
                    var k0 = Vector256.Load(ke);
                    var k1 = Vector256.Load(ke + 8);
                    var b = Vector256.Create(q0[e]);
                    a00 = Vector256.MultiplyAddEstimate(b, k0, a00);
                    a01 = Vector256.MultiplyAddEstimate(b, k1, a01);
                    b = Vector256.Create(q1[e]);
                    a10 = Vector256.MultiplyAddEstimate(b, k0, a10);
                    a11 = Vector256.MultiplyAddEstimate(b, k1, a11);
                    b = Vector256.Create(q2[e]);
                    a20 = Vector256.MultiplyAddEstimate(b, k0, a20);
                    a21 = Vector256.MultiplyAddEstimate(b, k1, a21);
                    b = Vector256.Create(q3[e]);
                    a30 = Vector256.MultiplyAddEstimate(b, k0, a30);
                    a31 = Vector256.MultiplyAddEstimate(b, k1, a31);
                }

                (a00 * vs).Store(s + j);
                (a01 * vs).Store(s + j + 8);
                (a10 * vs).Store(s + n + j);
                (a11 * vs).Store(s + n + j + 8);
                (a20 * vs).Store(s + (2L * n) + j);
                (a21 * vs).Store(s + (2L * n) + j + 8);
                (a30 * vs).Store(s + (3L * n) + j);
                (a31 * vs).Store(s + (3L * n) + j + 8);
            }
        }

        for (; j < m; j++)
        {
            float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
            for (int e = 0; e < d; e++)
            {
                float k = kt[((long)e * n) + j];
                c0 += q0[e] * k;
                c1 += q1[e] * k;
                c2 += q2[e] * k;
                c3 += q3[e] * k;
            }

            s[j] = c0 * scale;
            s[n + j] = c1 * scale;
            s[(2L * n) + j] = c2 * scale;
            s[(3L * n) + j] = c3 * scale;
        }
    }

    /// <summary>s[j] = scale · q · k_j for keys j &lt; m (a single query row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoresRow(float* q, float* kt, int n, int d, int m, float scale, float* s)
    {
        var row = new Span<float>(s, m);
        row.Clear();
        for (int e = 0; e < d; e++)
        {
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(kt + ((long)e * n), m), q[e] * scale, row, row);
        }
    }

    /// <summary>
    /// o_r = Σ_j p_r[j]·v_j over j &lt; m for 4 probability rows (p_r = p + r·n) into outputs o + r·oStride, 32 columns
    /// (two 512-bit vectors) per pass: 8 accumulators, 2 loads and 4 broadcasts per 8 multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSum4(float* v, float* p, int n, int m, int d, float* o, long oStride)
    {
        float* p0 = p, p1 = p + n, p2 = p + (2L * n), p3 = p + (3L * n);
        for (int c = 0; c < d; c += 32)
        {
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
            Vector512<float> c0 = default, c1 = default, e0 = default, e1 = default;
            for (int j = 0; j < m; j++)
            {
                float* row = v + ((long)j * d) + c;
                var v0 = Vector512.Load(row);
                var v1 = Vector512.Load(row + 16);
                var x = Vector512.Create(p0[j]);
                a0 = Vector512.MultiplyAddEstimate(v0, x, a0);
                a1 = Vector512.MultiplyAddEstimate(v1, x, a1);
                x = Vector512.Create(p1[j]);
                b0 = Vector512.MultiplyAddEstimate(v0, x, b0);
                b1 = Vector512.MultiplyAddEstimate(v1, x, b1);
                x = Vector512.Create(p2[j]);
                c0 = Vector512.MultiplyAddEstimate(v0, x, c0);
                c1 = Vector512.MultiplyAddEstimate(v1, x, c1);
                x = Vector512.Create(p3[j]);
                e0 = Vector512.MultiplyAddEstimate(v0, x, e0);
                e1 = Vector512.MultiplyAddEstimate(v1, x, e1);
            }

            a0.Store(o + c);
            a1.Store(o + c + 16);
            b0.Store(o + oStride + c);
            b1.Store(o + oStride + c + 16);
            c0.Store(o + (2 * oStride) + c);
            c1.Store(o + (2 * oStride) + c + 16);
            e0.Store(o + (3 * oStride) + c);
            e1.Store(o + (3 * oStride) + c + 16);
        }
    }

    /// <summary>o0 = Σ_j p0[j]·v_j and o1 = Σ_j p1[j]·v_j over j &lt; n, v row-major [n × d].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSum2(float* v, float* p0, float* p1, int n, int d, float* o0, float* o1)
    {
        int c = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 32 <= d; c += 32)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
                for (int j = 0; j < n; j++)
                {
                    float* row = v + ((long)j * d) + c;
                    var v0 = Vector256.Load(row);
                    var v1 = Vector256.Load(row + 8);
                    var v2 = Vector256.Load(row + 16);
                    var v3 = Vector256.Load(row + 24);
                    var x = Vector256.Create(p0[j]);
                    var y = Vector256.Create(p1[j]);
                    a0 = Vector256.MultiplyAddEstimate(v0, x, a0);
                    a1 = Vector256.MultiplyAddEstimate(v1, x, a1);
                    a2 = Vector256.MultiplyAddEstimate(v2, x, a2);
                    a3 = Vector256.MultiplyAddEstimate(v3, x, a3);
                    b0 = Vector256.MultiplyAddEstimate(v0, y, b0);
                    b1 = Vector256.MultiplyAddEstimate(v1, y, b1);
                    b2 = Vector256.MultiplyAddEstimate(v2, y, b2);
                    b3 = Vector256.MultiplyAddEstimate(v3, y, b3);
                }

                a0.Store(o0 + c);
                a1.Store(o0 + c + 8);
                a2.Store(o0 + c + 16);
                a3.Store(o0 + c + 24);
                b0.Store(o1 + c);
                b1.Store(o1 + c + 8);
                b2.Store(o1 + c + 16);
                b3.Store(o1 + c + 24);
            }
        }

        if (c < d)
        {
            // Narrow head dims: the single-row kernel handles the remaining columns for each row.
            WeightedSumColumns(v, p0, n, d, c, o0);
            WeightedSumColumns(v, p1, n, d, c, o1);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                FastExp.Softmax(p);
                WeightedSum(pv, pp + ((long)h * (length + 1)), length, d, po + ((long)h * d));
                TensorPrimitives.MultiplyAdd(newValue, p[length], output.Slice(h * d, d), output.Slice(h * d, d));
            }
        }
    }

    /// <summary>out[0..d) = Σ_j p[j] · v[j, 0..d), with the accumulators held in registers for 32 columns at a time.</summary>
    private static void WeightedSum(float* v, float* p, int n, int d, float* output) => WeightedSumColumns(v, p, n, d, 0, output);

    /// <summary>Columns [c0, d) of Σ_j p[j] · v[j, ·].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSumColumns(float* v, float* p, int n, int d, int c0, float* output)
    {
        int c = c0;
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
}
