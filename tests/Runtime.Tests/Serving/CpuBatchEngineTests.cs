using UNComp.Runtime.Compression;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Serving;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Serving;

public sealed class CpuBatchEngineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static async Task<List<int>> ReadAllAsync(ScheduledGeneration g)
    {
        var tokens = new List<int>();
        await foreach (int t in g.ReadTokensAsync())
        {
            tokens.Add(t);
        }

        return tokens;
    }

    [Fact]
    public async Task Interleaved_slots_give_each_request_what_a_generator_gives_it_alone()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        var defaults = new GeneratorParams { MaxLength = 64, EosTokenIds = [] };
        using var scheduler = new BatchScheduler(new CpuBatchEngine(model, slots: 3, maxSequenceLength: 64, (_, _) => defaults));
        int[][] prompts = [[1, 2, 3], [5, 9, 11, 2, 7], [30], [4, 4, 4, 4]];
        var sampling = new[] { SamplingOptions.Greedy, new SamplingOptions { Temperature = 0.9, Seed = 7 }, SamplingOptions.Greedy, new SamplingOptions { Temperature = 1.2, TopK = 5, Seed = 1 } };
        var generations = prompts.Select((p, i) => scheduler.TrySubmit(new BatchRequest(p, 6 + i, sampling[i], []))!).ToList();
        var together = await Task.WhenAll(generations.Select(ReadAllAsync)).WaitAsync(Timeout);

        for (int i = 0; i < prompts.Length; i++)
        {
            using var alone = new Generator(model, defaults with { MaxNewTokens = 6 + i, Sampling = sampling[i] });
            Assert.Equal(alone.Generate(prompts[i]).ToList(), together[i]);
        }
    }

    [Fact]
    public async Task Stateful_hooks_shared_by_two_slots_fail_the_second_request_with_a_clear_error()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        var shared = new GeneratorParams { MaxLength = 64, EosTokenIds = [], Hooks = new CompressionHooks { Policy = new StreamingLlmPolicy(1) } };
        using var scheduler = new BatchScheduler(new CpuBatchEngine(model, slots: 2, maxSequenceLength: 64, (_, _) => shared));
        var first = scheduler.TrySubmit(new BatchRequest([1, 2, 3], 20, SamplingOptions.Greedy, []))!;
        var second = scheduler.TrySubmit(new BatchRequest([4, 5], 20, SamplingOptions.Greedy, []))!;

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ReadAllAsync(second)).WaitAsync(Timeout);
        Assert.Contains("already in use by another slot", ex.Message, StringComparison.Ordinal);
        Assert.Equal(20, (await ReadAllAsync(first).WaitAsync(Timeout)).Count);
    }
}
