using UNComp.Runtime.Generation;
using UNComp.Runtime.Gpu;
using UNComp.Runtime.Serving;
using UNComp.Runtime.Tokenization;

namespace UNComp.Runtime.GpuTests;

/// <summary>
/// The serving scheduler on the GPU (what <c>uncomp serve --device cuda</c> runs): several requests decoded in one
/// batch through <see cref="CudaBatchEngine"/>, joining and leaving slots, each giving what it gives alone.
/// </summary>
public sealed class BatchSchedulerGpuTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static readonly string[] Texts =
    [
        "The pass key is 58213. Remember it. What is the pass key? The pass key is",
        "Once upon a time",
        "The grass is green. The sky is blue. The sun is yellow. Here we go. The grass is",
        "In the morning the baker",
        "There is a pass key hidden in this text. The pass key is 40911. What is the pass key? The pass key is",
        "The capital of the kingdom was",
    ];

    private static async Task<List<int>> ReadAllAsync(ScheduledGeneration g)
    {
        var tokens = new List<int>();
        await foreach (int t in g.ReadTokensAsync())
        {
            tokens.Add(t);
        }

        return tokens;
    }

    private static List<BatchRequest> Requests(Tokenizer tokenizer) => [.. Texts.Select((text, i) =>
        new BatchRequest([.. tokenizer.EncodeToIds(text, addSpecialTokens: true)], 6 + (i * 3), SamplingOptions.Greedy, []))];

    [Fact]
    public async Task Concurrent_requests_batched_on_the_gpu_each_equal_their_solo_run()
    {
        var device = Gpu.Device;
        var tokenizer = Tokenizer.FromFile(Path.Combine(Gpu.FixtureModel, "tokenizer.json"));
        using var model = CudaModel.Load(device, Gpu.FixtureModel);
        using var scheduler = new BatchScheduler(CudaBatchEngine.Create(model, slots: 4, maxSequenceLength: 256));
        var requests = Requests(tokenizer);

        var solo = new List<List<int>>();
        foreach (var r in requests)
        {
            solo.Add(await ReadAllAsync(scheduler.TrySubmit(r)!).WaitAsync(Timeout));
        }

        long stepsBefore = scheduler.Steps;
        var generations = requests.Select(r => scheduler.TrySubmit(r)!).ToList(); // 6 requests, 4 slots: two wait, then join
        var together = await Task.WhenAll(generations.Select(ReadAllAsync)).WaitAsync(Timeout);
        long batchedSteps = scheduler.Steps - stepsBefore;
        int soloSteps = solo.Sum(s => s.Count - 1);
        output.WriteLine($"solo decode steps {soloSteps}, batched {batchedSteps}");
        for (int i = 0; i < requests.Count; i++)
        {
            output.WriteLine($"{i}: '{tokenizer.Decode(together[i], skipSpecialTokens: true)}'");
            Assert.Equal(solo[i], together[i]);
            Assert.Equal(requests[i].MaxNewTokens, together[i].Count);
        }

        Assert.True(batchedSteps < soloSteps / 2, $"batched run took {batchedSteps} decode steps for {soloSteps} solo steps");

        // And the first request alone equals the public GPU generator.
        using var generator = new Generator(model, new GeneratorParams { MaxNewTokens = requests[0].MaxNewTokens, MaxLength = 256, EosTokenIds = [] });
        Assert.Equal(solo[0], generator.Generate(requests[0].PromptIds).ToList());
    }

    [Fact]
    public async Task Cancelling_one_request_mid_decode_leaves_the_others_unchanged_and_frees_its_slot()
    {
        var device = Gpu.Device;
        var tokenizer = Tokenizer.FromFile(Path.Combine(Gpu.FixtureModel, "tokenizer.json"));
        using var model = CudaModel.Load(device, Gpu.FixtureModel);
        using var scheduler = new BatchScheduler(CudaBatchEngine.Create(model, slots: 2, maxSequenceLength: 256));
        var requests = Requests(tokenizer);
        var expected = await ReadAllAsync(scheduler.TrySubmit(requests[2])!).WaitAsync(Timeout);

        using var cts = new CancellationTokenSource();
        var doomed = scheduler.TrySubmit(requests[0] with { MaxNewTokens = 200 }, cts.Token)!;
        var kept = scheduler.TrySubmit(requests[2])!;
        var keptRead = ReadAllAsync(kept);
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int _ in doomed.ReadTokensAsync())
            {
                if (++seen == 4)
                {
                    await cts.CancelAsync();
                }
            }
        }).WaitAsync(Timeout);

        Assert.Equal(expected, await keptRead.WaitAsync(Timeout));
        var next = scheduler.TrySubmit(requests[2])!; // the freed slot serves the next request
        Assert.Equal(expected, await ReadAllAsync(next).WaitAsync(Timeout));
        Assert.Equal(BatchFinishReason.Cancelled, doomed.FinishReason);
        Assert.InRange(doomed.GeneratedTokens, 4, 199);
    }
}
