using System.Runtime.ExceptionServices;

namespace UNComp.Runtime.Compute;

/// <summary>
/// A process-wide team of persistent worker threads for the CPU kernels (OpenMP style): the caller takes part as
/// worker 0, workers spin briefly between jobs and then sleep, and a job is a function pointer plus a pointer to
/// an unmanaged context on the caller's stack, so dispatching allocates nothing and costs microseconds instead of
/// the tens of microseconds of <see cref="Parallel.For(int, int, Action{int})"/>. Worker w first runs task w (the
/// same weight slice lands on the same core call after call, so it stays in that core's cache), then takes the
/// remaining tasks from a shared counter. One job runs at a time; a caller that finds the team busy (another
/// session, or a task that itself asks for workers) runs its tasks on its own thread.
/// </summary>
internal sealed unsafe class CpuWorkerTeam
{
    // Spin this long between jobs before sleeping: longer than the gap between two kernels of a forward pass,
    // short enough that an idle process stops burning cores at once.
    private const long SpinTicks = TimeSpan.TicksPerMillisecond / 5;

    private static readonly Lazy<CpuWorkerTeam> LazyShared = new(() => new CpuWorkerTeam(Environment.ProcessorCount));

    private readonly Worker[] _workers;

    // Static claims: slot w holds generation·2 while task w of that job is unclaimed, generation·2 + 1 once claimed.
    private readonly long[] _slots;
    private int _busy;
    private int _generation;
    private int _tasks;

    // Dynamic claims: generation in the high 32 bits, next unclaimed task in the low 32. A claim names its job, so a
    // worker that wakes late can never take a task of a later job.
    private long _cursor;
    private int _remaining;
    private delegate*<void*, int, int, void> _body;
    private void* _context;
    private Exception? _failure;

    private CpuWorkerTeam(int size)
    {
        Size = Math.Max(1, size);
        _workers = new Worker[Size];
        _slots = new long[Size];
    }

    /// <summary>The team sized to the machine's logical processors.</summary>
    public static CpuWorkerTeam Shared => LazyShared.Value;

    /// <summary>Most workers a job can use, the caller included.</summary>
    public int Size { get; }

    /// <summary>
    /// Runs <c>body(context, task, worker)</c> for every task in [0, <paramref name="tasks"/>) on up to
    /// <paramref name="workers"/> threads and returns when all are done. <c>worker</c> is in [0, workers) and no two
    /// tasks with the same worker index run at once, so it can index per-worker scratch. The context must stay valid
    /// until the call returns (a local of the caller is). The caller never waits for a worker that has not started:
    /// it takes over any task still unclaimed, so a busy machine degrades to one thread instead of stalling.
    /// </summary>
    public void Run(delegate*<void*, int, int, void> body, void* context, int tasks, int workers)
    {
        int participants = Math.Min(Math.Min(workers, tasks), Size);
        if (participants <= 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int t = 0; t < tasks; t++)
            {
                body(context, t, 0);
            }

            return;
        }

        try
        {
            EnsureStarted(participants);
            int generation = _generation + 1;
            _body = body;
            _context = context;
            _tasks = tasks;
            _failure = null;
            _remaining = tasks;
            for (int w = 1; w < participants; w++)
            {
                _slots[w] = 2L * generation;
            }

            Volatile.Write(ref _cursor, ((long)generation << 32) | (uint)participants);
            Volatile.Write(ref _generation, generation);
            for (int w = 1; w < participants; w++)
            {
                _workers[w].Wake();
            }

            Execute(0, 0);
            TakeDynamic(generation, tasks, 0);
            for (int w = 1; w < participants; w++)
            {
                if (Interlocked.CompareExchange(ref _slots[w], (2L * generation) + 1, 2L * generation) == 2L * generation)
                {
                    Execute(w, 0); // that worker has not started yet
                }
            }

            var spin = new SpinWait();
            while (Volatile.Read(ref _remaining) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            if (_failure is { } failure)
            {
                ExceptionDispatchInfo.Capture(failure).Throw();
            }
        }
        finally
        {
            _body = null;
            _context = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Worker <paramref name="worker"/>'s share of job <paramref name="generation"/>: its own task if still unclaimed, then any left.</summary>
    private void Join(int worker, int generation)
    {
        if (Interlocked.CompareExchange(ref _slots[worker], (2L * generation) + 1, 2L * generation) != 2L * generation)
        {
            return; // not part of this job, or the caller already ran our task
        }

        // Our claimed task keeps job `generation` running (its caller waits for it), so _tasks is still that job's.
        int tasks = Volatile.Read(ref _tasks);
        Execute(worker, worker);
        TakeDynamic(generation, tasks, worker);
    }

    /// <summary>
    /// Claims and runs tasks of job <paramref name="generation"/> until its cursor is exhausted. The task count is the
    /// job's own, read while the job was known to run: once the job's last task is done, the caller may publish the
    /// next job's count before its cursor, and a cursor still naming the old job must not let a late worker claim
    /// an index of the new job (it ran the new body twice for that index, and the count of unfinished tasks went
    /// below zero, so the next job's caller waited forever: seen as a hang in the test suite).
    /// </summary>
    private void TakeDynamic(int generation, int tasks, int worker)
    {
        while (true)
        {
            long c = Volatile.Read(ref _cursor);
            int task = (int)(uint)c;
            if ((int)(c >> 32) != generation || task >= tasks)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _cursor, c + 1, c) == c)
            {
                Execute(task, worker);
            }
        }
    }

    private void Execute(int task, int worker)
    {
        try
        {
            _body(_context, task, worker);
        }
#pragma warning disable CA1031 // Any failure of a task is re-thrown on the calling thread.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Interlocked.CompareExchange(ref _failure, ex, null);
        }
        finally
        {
            Interlocked.Decrement(ref _remaining);
        }
    }

    private void EnsureStarted(int participants)
    {
        for (int w = 1; w < participants; w++)
        {
            if (_workers[w] is null)
            {
                _workers[w] = new Worker(this, w, Volatile.Read(ref _generation));
            }
        }
    }

    /// <summary>One persistent thread: waits for a new generation, runs its share if it takes part, reports done.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Workers live as long as the process; their semaphore is never released early.")]
    private sealed class Worker
    {
        private readonly CpuWorkerTeam _team;
        private readonly int _index;
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;
        private int _seen;

        public Worker(CpuWorkerTeam team, int index, int generation)
        {
            _team = team;
            _index = index;
            _seen = generation;
            var thread = new Thread(Loop, 256 * 1024) { IsBackground = true, Name = $"uncomp-cpu-{index}" };
            thread.Start();
        }

        public void Wake()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1)
            {
                _wake.Release();
            }
        }

        private void Loop()
        {
            while (true)
            {
                _seen = WaitForJob();
                _team.Join(_index, _seen);
            }
        }

        private int WaitForJob()
        {
            long until = System.Diagnostics.Stopwatch.GetTimestamp() + (SpinTicks * System.Diagnostics.Stopwatch.Frequency / TimeSpan.TicksPerSecond);
            while (true)
            {
                int g = Volatile.Read(ref _team._generation);
                if (g != _seen)
                {
                    return g;
                }

                if (System.Diagnostics.Stopwatch.GetTimestamp() < until)
                {
                    Thread.SpinWait(30);
                    continue;
                }

                // Announce sleep, then look once more so a job published in between is not missed.
                Volatile.Write(ref _sleeping, 1);
                g = Volatile.Read(ref _team._generation);
                if (g != _seen)
                {
                    if (Interlocked.Exchange(ref _sleeping, 0) == 0)
                    {
                        _wake.Wait(); // the caller saw us asleep and released once: consume it
                    }

                    return g;
                }

                _wake.Wait();
                until = System.Diagnostics.Stopwatch.GetTimestamp() + (SpinTicks * System.Diagnostics.Stopwatch.Frequency / TimeSpan.TicksPerSecond);
            }
        }
    }
}
