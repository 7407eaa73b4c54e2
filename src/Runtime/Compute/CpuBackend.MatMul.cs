using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace UNComp.Runtime.Compute;

/// <summary>Linear layers: packed, register-tiled GEMM for token blocks, 4-row GEMV for decode.</summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Multiply-adds a worker must get before a GEMM uses another thread (≈ 10 µs of work).</summary>
    private const long GemmWorkPerWorker = 1L << 18;

    /// <summary>Multiply-adds per worker for a GEMV (256 KB of fp32 weights; a conservative choice, not tuned on many cores).</summary>
    private const long GemvWorkPerWorker = 1L << 16;

    /// <summary>Output columns per GEMM task (a multiple of every panel width).</summary>
    private const int GemmTaskColumns = 256;

    /// <summary>Token rows per GEMM task at most, so a task's input block (rows × KBlock floats) stays in L2.</summary>
    private const int GemmTaskRowBlocks = 32;

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

        if (rows <= 0 || outDim <= 0)
        {
            return;
        }

        fixed (float* px = x, pw = w, pb = bias, py = y)
        {
            float* b = bias.IsEmpty ? null : pb;
            if (inDim == 0)
            {
                for (int r = 0; r < rows; r++)
                {
                    for (int o = 0; o < outDim; o++)
                    {
                        py[((long)r * outDim) + o] = b != null ? b[o] : 0;
                    }
                }
            }
            else if (rows <= 2 || !CpuSgemm.Vectorized)
            {
                Gemv(px, pw, b, py, rows, inDim, outDim);
            }
            else
            {
                Gemm(px, pw, b, py, rows, inDim, outDim);
            }
        }
    }

    /// <summary>Workers for an operation of <paramref name="work"/> units, at least <paramref name="perWorker"/> each.</summary>
    private int WorkersFor(long work, long perWorker)
    {
        int max = _parallel.MaxDegreeOfParallelism is > 0 and int d ? Math.Min(d, Team.Size) : Team.Size;
        return (int)Math.Clamp(work / perWorker, 1, max);
    }

    private static CpuWorkerTeam Team => CpuWorkerTeam.Shared;

    private void Gemv(float* x, float* w, float* bias, float* y, int rows, int inDim, int outDim)
    {
        int workers = WorkersFor((long)outDim * inDim, GemvWorkPerWorker);
        // Equal ranges of whole 4-row groups, one per worker: the same weight rows stay on the same core step after step.
        int groups = (outDim + 3) / 4;
        workers = Math.Min(workers, groups);
        var job = new GemvJob { X = x, W = w, Bias = bias, Y = y, Rows = rows, InDim = inDim, OutDim = outDim, GroupsPerTask = (groups + workers - 1) / workers };
        int tasks = (groups + job.GroupsPerTask - 1) / job.GroupsPerTask;
        Team.Run(&GemvTask, &job, tasks, workers);
    }

    private struct GemvJob
    {
        public float* X, W, Bias, Y;
        public int Rows, InDim, OutDim, GroupsPerTask;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GemvTask(void* context, int task, int worker)
    {
        ref var job = ref Unsafe.AsRef<GemvJob>(context);
        int o0 = task * job.GroupsPerTask * 4;
        int o1 = Math.Min(job.OutDim, o0 + (job.GroupsPerTask * 4));
        for (int r = 0; r < job.Rows; r++)
        {
            float* xr = job.X + ((long)r * job.InDim);
            float* yr = job.Y + ((long)r * job.OutDim);
            if (CpuSgemm.Vectorized)
            {
                CpuSgemm.Gemv(xr, job.W, job.Bias, yr, job.InDim, o0, o1);
            }
            else
            {
                for (int o = o0; o < o1; o++)
                {
                    float acc = TensorPrimitives.Dot(new ReadOnlySpan<float>(xr, job.InDim), new ReadOnlySpan<float>(job.W + ((long)o * job.InDim), job.InDim));
                    yr[o] = job.Bias != null ? acc + job.Bias[o] : acc;
                }
            }
        }
    }

    private void Gemm(float* x, float* w, float* bias, float* y, int rows, int inDim, int outDim)
    {
        int mr = CpuSgemm.TileRows, nr = CpuSgemm.PanelWidth;
        int workers = WorkersFor((long)rows * inDim * outDim, GemmWorkPerWorker);
        int colTasks = (outDim + GemmTaskColumns - 1) / GemmTaskColumns;
        int rowBlocks = (rows + mr - 1) / mr;
        int rowTasks = Math.Max((rowBlocks + GemmTaskRowBlocks - 1) / GemmTaskRowBlocks, workers > 1 ? ((3 * workers) + colTasks - 1) / colTasks : 1);
        rowTasks = Math.Min(rowTasks, rowBlocks);
        int rowsPerTask = ((rowBlocks + rowTasks - 1) / rowTasks) * mr;
        rowTasks = (rows + rowsPerTask - 1) / rowsPerTask;
        int team = Math.Min(workers, rowTasks * colTasks);

        // Each block of KBlock input columns is packed once, by all workers (one panel per task), into a shared
        // buffer; then every task multiplies its token rows against its columns' panels.
        int kb = Math.Min(CpuSgemm.KBlock, inDim);
        int panels = (outDim + nr - 1) / nr;
        long packedFloats = (long)panels * nr * kb;
        int perWorker = AlignFloats((mr * kb) + (mr * nr));
        float[] scratch = ArrayPool<float>.Shared.Rent((int)(packedFloats + ((long)perWorker * Math.Max(1, team)) + 32));
        try
        {
            fixed (float* ps = scratch)
            {
                float* packed = Align(ps);
                var job = new GemmJob
                {
                    X = x, W = w, Bias = bias, Y = y, Packed = packed, Scratch = packed + AlignFloats((int)packedFloats),
                    Rows = rows, InDim = inDim, OutDim = outDim, RowsPerTask = rowsPerTask, ColTasks = colTasks, PerWorker = perWorker,
                };
                for (int k0 = 0; k0 < inDim; k0 += CpuSgemm.KBlock)
                {
                    job.K0 = k0;
                    job.Kc = Math.Min(CpuSgemm.KBlock, inDim - k0);
                    Team.Run(&PackTask, &job, panels, Math.Min(team, WorkersFor((long)panels * nr * job.Kc, ElementsPerWorker)));
                    Team.Run(&GemmTask, &job, rowTasks * colTasks, team);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    private static int AlignFloats(int n) => (n + 15) & ~15;

    private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    private struct GemmJob
    {
        public float* X, W, Bias, Y, Packed, Scratch;
        public int Rows, InDim, OutDim, RowsPerTask, ColTasks, PerWorker, K0, Kc;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTask(void* context, int panel, int worker)
    {
        ref var job = ref Unsafe.AsRef<GemmJob>(context);
        int nr = CpuSgemm.PanelWidth;
        CpuSgemm.PackPanel(job.W, job.InDim, job.OutDim, panel * nr, job.K0, job.Kc, job.Packed + ((long)panel * nr * job.Kc));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GemmTask(void* context, int task, int worker)
    {
        ref var job = ref Unsafe.AsRef<GemmJob>(context);
        int mr = CpuSgemm.TileRows, nr = CpuSgemm.PanelWidth;
        int m0 = (task / job.ColTasks) * job.RowsPerTask, m1 = Math.Min(job.Rows, m0 + job.RowsPerTask);
        int n0 = (task % job.ColTasks) * GemmTaskColumns, n1 = Math.Min(job.OutDim, n0 + GemmTaskColumns);
        int k = job.InDim, n = job.OutDim, k0 = job.K0, kc = job.Kc;
        float* edgeA = job.Scratch + ((long)worker * job.PerWorker);
        float* edgeY = edgeA + (mr * kc);
        bool accumulate = k0 > 0;
        for (int j0 = n0; j0 < n1; j0 += nr)
        {
            int cols = Math.Min(nr, n1 - j0);
            float* panel = job.Packed + ((long)(j0 / nr) * nr * kc);
            float* bias = !accumulate && job.Bias != null ? job.Bias + j0 : null;
            for (int r0 = m0; r0 < m1; r0 += mr)
            {
                int rows = Math.Min(mr, m1 - r0);
                float* a = job.X + ((long)r0 * k) + k0;
                float* yTile = job.Y + ((long)r0 * n) + j0;
                if (rows == mr && cols == nr)
                {
                    CpuSgemm.Tile(a, k, panel, kc, yTile, n, bias, accumulate);
                }
                else
                {
                    EdgeTile(a, k, rows, cols, panel, kc, yTile, n, bias, accumulate, edgeA, edgeY);
                }
            }
        }
    }

    /// <summary>A partial tile: pad the input rows with zeros, compute a full tile aside, merge the valid part.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EdgeTile(float* a, long lda, int rows, int cols, float* panel, int kc, float* y, long ldy, float* bias, bool accumulate, float* edgeA, float* edgeY)
    {
        int mr = CpuSgemm.TileRows, nr = CpuSgemm.PanelWidth;
        for (int r = 0; r < mr; r++)
        {
            var dst = new Span<float>(edgeA + ((long)r * kc), kc);
            if (r < rows)
            {
                new ReadOnlySpan<float>(a + (r * lda), kc).CopyTo(dst);
            }
            else
            {
                dst.Clear();
            }
        }

        CpuSgemm.Tile(edgeA, kc, panel, kc, edgeY, nr, null, false);
        for (int r = 0; r < rows; r++)
        {
            float* yr = y + (r * ldy);
            float* t = edgeY + (r * nr);
            for (int c = 0; c < cols; c++)
            {
                yr[c] = accumulate ? yr[c] + t[c] : bias != null ? t[c] + bias[c] : t[c];
            }
        }
    }
}
