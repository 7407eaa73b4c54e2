using UNComp.Runtime.Compute;

namespace UNComp.Runtime.Tests.Compute;

public class CpuWorkerTeamTests
{
    private unsafe struct CountJob
    {
        public int* Counts;
        public int* WorkerSeen;
        public int Workers;
    }

    private static unsafe void Count(void* context, int task, int worker)
    {
        var job = (CountJob*)context;
        Interlocked.Increment(ref job->Counts[task]);
        if ((uint)worker >= (uint)job->Workers)
        {
            Interlocked.Increment(ref job->WorkerSeen[0]); // an out-of-range worker index
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 4)]
    [InlineData(500, 3)]
    [InlineData(3, 64)]
    public unsafe void Run_ExecutesEveryTaskExactlyOnceWithWorkerIndicesInRange(int tasks, int workers)
    {
        var counts = new int[tasks];
        var bad = new int[1];
        fixed (int* pc = counts, pb = bad)
        {
            var job = new CountJob { Counts = pc, WorkerSeen = pb, Workers = workers };
            for (int round = 0; round < 50; round++)
            {
                CpuWorkerTeam.Shared.Run(&Count, &job, tasks, workers);
            }
        }

        Assert.All(counts, c => Assert.Equal(50, c));
        Assert.Equal(0, bad[0]);
    }

    [Fact]
    public unsafe void Run_BackToBackJobsOfGrowingSize_NeverRunAnotherJobsTask()
    {
        // A worker finishing the last task of a small job must not claim an index of the larger job that follows
        // (the next job's task count is published before its cursor). Each job has its own counters.
        var small = new int[2];
        var large = new int[64];
        var bad = new int[1];
        const int Rounds = 20_000;
        fixed (int* ps = small, pl = large, pb = bad)
        {
            var a = new CountJob { Counts = ps, WorkerSeen = pb, Workers = 2 };
            var b = new CountJob { Counts = pl, WorkerSeen = pb, Workers = 2 };
            for (int round = 0; round < Rounds; round++)
            {
                CpuWorkerTeam.Shared.Run(&Count, &a, small.Length, 2);
                CpuWorkerTeam.Shared.Run(&Count, &b, large.Length, 2);
            }
        }

        Assert.All(small, c => Assert.Equal(Rounds, c));
        Assert.All(large, c => Assert.Equal(Rounds, c));
        Assert.Equal(0, bad[0]);
    }

    [Fact]
    public async Task Run_FromTwoThreadsAtOnce_CompletesBothJobs()
    {
        // One caller gets the team, the other runs its tasks itself; neither loses or repeats a task.
        var a = new int[200];
        var b = new int[200];
        var bad = new int[1];
        await Task.WhenAll(Task.Run(() => Rounds(a, bad, 200)), Task.Run(() => Rounds(b, bad, 200)));
        Assert.All(a, c => Assert.Equal(200, c));
        Assert.All(b, c => Assert.Equal(200, c));
        Assert.Equal(0, bad[0]);
    }

    private static unsafe void Rounds(int[] counts, int[] bad, int rounds)
    {
        fixed (int* pc = counts, pb = bad)
        {
            var job = new CountJob { Counts = pc, WorkerSeen = pb, Workers = 4 };
            for (int round = 0; round < rounds; round++)
            {
                CpuWorkerTeam.Shared.Run(&Count, &job, counts.Length, 4);
            }
        }
    }

    private static unsafe void Throw(void* context, int task, int worker)
    {
        if (task == 5)
        {
            throw new InvalidOperationException("task 5 failed");
        }
    }

    [Fact]
    public unsafe void Run_RethrowsATaskFailureOnTheCaller()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => CpuWorkerTeam.Shared.Run(&Throw, null, 16, 3));
        Assert.Equal("task 5 failed", ex.Message);
        var counts = new int[8]; // the team is usable afterwards
        var bad = new int[1];
        fixed (int* pc = counts, pb = bad)
        {
            var job = new CountJob { Counts = pc, WorkerSeen = pb, Workers = 3 };
            CpuWorkerTeam.Shared.Run(&Count, &job, 8, 3);
        }

        Assert.All(counts, c => Assert.Equal(1, c));
    }
}
