using UNComp.Runtime.Generation;
using UNComp.Runtime.Serving;

namespace UNComp.Runtime.Tests.Serving;

public sealed class BatchSchedulerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static BatchRequest Request(int first, int promptLength = 3, int maxNew = 5, SamplingOptions? sampling = null, int[]? eos = null) =>
        new([.. Enumerable.Range(first, promptLength)], maxNew, sampling ?? SamplingOptions.Greedy, eos ?? [0]);

    private static async Task<List<int>> ReadAllAsync(ScheduledGeneration g)
    {
        var tokens = new List<int>();
        await foreach (int t in g.ReadTokensAsync().WithCancellation(CancellationToken.None))
        {
            tokens.Add(t);
        }

        return tokens;
    }

    /// <summary>The tokens the fake engine gives a request when it runs alone (what every batched run must equal).</summary>
    private static List<int> Solo(BatchRequest request, int vocab = 64)
    {
        var sequence = request.PromptIds.ToList();
        var generated = new List<int>();
        for (int i = 0; i < request.MaxNewTokens; i++)
        {
            int next = FakeBatchEngine.NextToken(sequence, vocab);
            generated.Add(next);
            sequence.Add(next);
        }

        return generated;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task Concurrent_requests_each_get_the_tokens_of_their_solo_run()
    {
        var engine = new FakeBatchEngine(slots: 3);
        using var scheduler = new BatchScheduler(engine);
        var requests = Enumerable.Range(0, 7).Select(i => Request(first: 10 + (i * 5), promptLength: 2 + i, maxNew: 3 + (i * 2))).ToList();
        var generations = requests.Select(r => scheduler.TrySubmit(r)!).ToList();
        var results = await Task.WhenAll(generations.Select(ReadAllAsync)).WaitAsync(Timeout);

        for (int i = 0; i < requests.Count; i++)
        {
            Assert.Equal(Solo(requests[i]), results[i]);
            Assert.Equal(BatchFinishReason.MaxNewTokens, generations[i].FinishReason);
        }

        Assert.Contains(engine.Calls, c => c.StartsWith("decode ", StringComparison.Ordinal) && c.Split(',').Length == 3);
        await WaitUntilAsync(() => scheduler.Admitted == 0 && scheduler.Running == 0);
    }

    [Fact]
    public async Task Requests_are_prefilled_in_arrival_order_and_every_step_advances_every_active_request()
    {
        var gate = new SemaphoreSlim(0);
        var engine = new FakeBatchEngine(slots: 2) { StepGate = gate };
        using var scheduler = new BatchScheduler(engine);
        var generations = Enumerable.Range(0, 4).Select(i => scheduler.TrySubmit(Request(first: 10 * (i + 1), maxNew: 4))!).ToList();
        var reads = generations.Select(ReadAllAsync).ToList();
        gate.Release(100);
        await Task.WhenAll(reads).WaitAsync(Timeout);

        var prefills = engine.Calls.Where(c => c.StartsWith("prefill", StringComparison.Ordinal)).Select(c => int.Parse(c.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([10, 20, 30, 40], prefills);

        // Replay the log: every decode step holds exactly the slots that are active at that moment.
        var active = new HashSet<int>();
        foreach (var call in engine.Calls)
        {
            var parts = call.Split(' ');
            switch (parts[0])
            {
                case "prefill":
                    active.Add(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case "release":
                    active.Remove(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
                    break;
                default:
                    Assert.Equal(active.Order(), parts[1].Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)));
                    break;
            }
        }
    }

    [Fact]
    public async Task A_waiting_request_joins_the_batch_when_a_finished_one_leaves_its_slot()
    {
        var gate = new SemaphoreSlim(0);
        var engine = new FakeBatchEngine(slots: 2) { StepGate = gate };
        using var scheduler = new BatchScheduler(engine);
        var longOne = scheduler.TrySubmit(Request(first: 20, maxNew: 12))!;
        await WaitUntilAsync(() => engine.Calls.Contains("prefill 0 20"));
        var shortOne = scheduler.TrySubmit(Request(first: 1, maxNew: 2))!;
        var waiting = scheduler.TrySubmit(Request(first: 40, maxNew: 3))!;
        gate.Release(100);
        var results = await Task.WhenAll(ReadAllAsync(longOne), ReadAllAsync(shortOne), ReadAllAsync(waiting)).WaitAsync(Timeout);

        Assert.Equal(Solo(longOne.Request), results[0]);
        Assert.Equal(Solo(shortOne.Request), results[1]);
        Assert.Equal(Solo(waiting.Request), results[2]);
        var calls = engine.Calls.ToList();
        int shortJoined = calls.IndexOf("prefill 1 1");
        int shortLeft = calls.IndexOf("release 1");
        int waitingJoined = calls.IndexOf("prefill 1 40");
        Assert.True(shortJoined > 0 && shortLeft > shortJoined && waitingJoined > shortLeft, string.Join(" | ", calls));
        // The long request kept decoding beside each newcomer.
        Assert.Equal("decode 0,1", calls[shortJoined + 1]);
        Assert.Equal("decode 0,1", calls[waitingJoined + 1]);
    }

    [Fact]
    public async Task Cancelling_mid_decode_frees_the_slot_and_the_reader_sees_cancellation()
    {
        var gate = new SemaphoreSlim(0);
        var engine = new FakeBatchEngine(slots: 1) { StepGate = gate };
        using var scheduler = new BatchScheduler(engine);
        using var cts = new CancellationTokenSource();
        var generation = scheduler.TrySubmit(Request(first: 5, maxNew: 1000), cts.Token)!;
        var tokens = new List<int>();
        gate.Release(3);
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int t in generation.ReadTokensAsync())
            {
                tokens.Add(t);
                if (tokens.Count == 3)
                {
                    await cts.CancelAsync();
                    gate.Release(1);
                }
            }
        }).WaitAsync(Timeout);

        Assert.NotNull(ex);
        Assert.Equal(BatchFinishReason.Cancelled, generation.FinishReason);
        Assert.InRange(generation.GeneratedTokens, 3, 5);
        await WaitUntilAsync(() => scheduler.Admitted == 0);
        Assert.Contains("release 0", engine.Calls);

        // The slot serves the next request.
        gate.Release(100);
        var next = scheduler.TrySubmit(Request(first: 9, maxNew: 3))!;
        Assert.Equal(Solo(next.Request), await ReadAllAsync(next).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Cancelling_a_waiting_request_removes_it_without_a_prefill()
    {
        var gate = new SemaphoreSlim(0);
        var engine = new FakeBatchEngine(slots: 1) { StepGate = gate };
        using var scheduler = new BatchScheduler(engine);
        var running = scheduler.TrySubmit(Request(first: 1, maxNew: 3))!;
        var waiting = scheduler.TrySubmit(Request(first: 50, maxNew: 3))!;
        waiting.Cancel();
        gate.Release(100);
        await ReadAllAsync(running).WaitAsync(Timeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReadAllAsync(waiting)).WaitAsync(Timeout);

        Assert.Equal(BatchFinishReason.Cancelled, waiting.FinishReason);
        Assert.Equal(0, waiting.GeneratedTokens);
        Assert.DoesNotContain(engine.Calls, c => c == "prefill 0 50");
        await WaitUntilAsync(() => scheduler.Admitted == 0);
    }

    [Fact]
    public async Task A_full_scheduler_refuses_with_null_and_admits_again_once_a_request_ends()
    {
        var gate = new SemaphoreSlim(0);
        var engine = new FakeBatchEngine(slots: 1) { StepGate = gate };
        using var scheduler = new BatchScheduler(engine, new BatchSchedulerOptions { MaxWaiting = 1 });
        var first = scheduler.TrySubmit(Request(first: 1, maxNew: 2))!;
        var second = scheduler.TrySubmit(Request(first: 2, maxNew: 2))!;
        Assert.Null(scheduler.TrySubmit(Request(first: 3, maxNew: 2)));
        Assert.Equal(2, scheduler.Admitted);

        gate.Release(100);
        await ReadAllAsync(first).WaitAsync(Timeout);
        await ReadAllAsync(second).WaitAsync(Timeout);
        await WaitUntilAsync(() => scheduler.Admitted == 0);
        Assert.NotNull(scheduler.TrySubmit(Request(first: 3, maxNew: 2)));
    }

    [Fact]
    public async Task Prefill_budget_defers_further_prompts_to_the_next_step()
    {
        var gate = new SemaphoreSlim(0);
        var engine = new FakeBatchEngine(slots: 4) { StepGate = gate };
        using var scheduler = new BatchScheduler(engine, new BatchSchedulerOptions { PrefillTokensPerStep = 10 });
        var a = scheduler.TrySubmit(Request(first: 1, promptLength: 1, maxNew: 8))!;
        await WaitUntilAsync(() => engine.Calls.Contains("prefill 0 1"));
        var others = new[] { 10, 20, 30 }.Select(f => scheduler.TrySubmit(Request(first: f, promptLength: 6, maxNew: 2))!).ToList();
        gate.Release(100);
        await Task.WhenAll(others.Select(ReadAllAsync).Append(ReadAllAsync(a))).WaitAsync(Timeout);

        // 6 + 6 > 10: one prompt per step, each after a decode step.
        var calls = engine.Calls.Where(c => !c.StartsWith("release", StringComparison.Ordinal)).ToList();
        int p10 = calls.IndexOf("prefill 1 10"), p20 = calls.FindIndex(c => c.EndsWith(" 20", StringComparison.Ordinal)), p30 = calls.FindIndex(c => c.EndsWith(" 30", StringComparison.Ordinal));
        Assert.True(p10 < p20 && p20 < p30, string.Join(" | ", calls));
        Assert.StartsWith("decode", calls[p20 - 1], StringComparison.Ordinal);
        Assert.StartsWith("decode", calls[p30 - 1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task End_of_sequence_and_sequence_limit_end_a_generation_with_their_reasons()
    {
        var engine = new FakeBatchEngine(slots: 2, maxSequenceLength: 6);
        using var scheduler = new BatchScheduler(engine);
        var probe = Request(first: 7, maxNew: 10);
        int third = Solo(probe)[2];
        var withEos = scheduler.TrySubmit(probe with { EosTokenIds = [third] })!;
        var atLimit = scheduler.TrySubmit(Request(first: 30, promptLength: 4, maxNew: 10))!;

        Assert.Equal(Solo(probe).Take(3), await ReadAllAsync(withEos).WaitAsync(Timeout));
        Assert.Equal(BatchFinishReason.EndOfSequence, withEos.FinishReason);
        Assert.Equal(2, (await ReadAllAsync(atLimit).WaitAsync(Timeout)).Count); // 4 prompt + 2 = 6
        Assert.Equal(BatchFinishReason.ContextLimit, atLimit.FinishReason);
        Assert.Throws<ArgumentException>(() => scheduler.TrySubmit(Request(first: 1, promptLength: 6)));
        Assert.Throws<ArgumentException>(() => scheduler.TrySubmit(new BatchRequest([], 3, SamplingOptions.Greedy, [0])));
    }

    [Fact]
    public async Task Each_request_samples_with_its_own_seed_as_a_solo_sampler_would()
    {
        var engine = new FakeBatchEngine(slots: 3) { Peaked = false };
        using var scheduler = new BatchScheduler(engine);
        var sampling = new[] { 1, 2, 1 }.Select(seed => new SamplingOptions { Temperature = 1.0, TopP = 0.9, Seed = seed }).ToList();
        var generations = sampling.Select(s => scheduler.TrySubmit(Request(first: 3, maxNew: 12, sampling: s))!).ToList();
        var results = await Task.WhenAll(generations.Select(ReadAllAsync)).WaitAsync(Timeout);

        Assert.Equal(results[0], results[2]);           // same prompt and seed, different slots
        Assert.NotEqual(results[0], results[1]);        // another seed
        using var solo = new BatchScheduler(new FakeBatchEngine(slots: 1) { Peaked = false });
        Assert.Equal(results[1], await ReadAllAsync(solo.TrySubmit(Request(first: 3, maxNew: 12, sampling: sampling[1]))!).WaitAsync(Timeout));
    }

    [Fact]
    public async Task All_greedy_steps_take_the_engines_argmax_and_a_sampling_row_brings_the_logits_back()
    {
        var gate = new SemaphoreSlim(0);
        var engine = new FakeBatchEngine(slots: 2) { GreedyOnEngine = true, StepGate = gate };
        using var scheduler = new BatchScheduler(engine);
        var greedy = scheduler.TrySubmit(Request(first: 4, maxNew: 10))!;
        await WaitUntilAsync(() => engine.Calls.Contains("prefill 0 4"));
        var sampled = scheduler.TrySubmit(Request(first: 8, maxNew: 3, sampling: new SamplingOptions { Temperature = 0.5, Seed = 3 }))!;
        gate.Release(100);
        var results = await Task.WhenAll(ReadAllAsync(greedy), ReadAllAsync(sampled)).WaitAsync(Timeout);

        Assert.Equal(Solo(greedy.Request), results[0]);
        Assert.Equal(Solo(sampled.Request), results[1]); // one-hot logits: sampling picks the same token
        var steps = engine.Calls.Where(c => c.StartsWith("greedy", StringComparison.Ordinal) || c.StartsWith("decode", StringComparison.Ordinal)).ToList();
        Assert.Contains("decode 0,1", steps);                              // the sampling request needs logits
        Assert.Equal("greedy 0", steps[^1]);                               // alone again: ids only
        Assert.DoesNotContain(steps, c => c.StartsWith("greedy 0,1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_decode_step_fails_its_requests_and_later_requests_still_run()
    {
        var engine = new FakeBatchEngine(slots: 2) { FailDecodeOnSlot = 0 };
        using var scheduler = new BatchScheduler(engine);
        var failing = scheduler.TrySubmit(Request(first: 1, maxNew: 5))!;
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ReadAllAsync(failing)).WaitAsync(Timeout);
        Assert.Contains("fake engine failed", ex.Message, StringComparison.Ordinal);
        Assert.Equal(BatchFinishReason.Faulted, failing.FinishReason);

        engine.FailDecodeOnSlot = null;
        await WaitUntilAsync(() => scheduler.Admitted == 0);
        var next = scheduler.TrySubmit(Request(first: 2, maxNew: 4))!;
        Assert.Equal(Solo(next.Request), await ReadAllAsync(next).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Disposing_cancels_running_and_waiting_requests_and_disposes_the_engine()
    {
        var gate = new SemaphoreSlim(0);
        var engine = new FakeBatchEngine(slots: 1) { StepGate = gate };
        var scheduler = new BatchScheduler(engine);
        var running = scheduler.TrySubmit(Request(first: 1, maxNew: 100))!;
        var waiting = scheduler.TrySubmit(Request(first: 2, maxNew: 100))!;
        await WaitUntilAsync(() => engine.Calls.Contains("prefill 0 1"));
        var disposing = Task.Run(scheduler.Dispose);
        await Task.Delay(50);
        gate.Release(1000); // the step in progress ends; the next iteration sees the stop
        await disposing.WaitAsync(Timeout);

        Assert.Equal(BatchFinishReason.Cancelled, running.FinishReason);
        Assert.Equal(BatchFinishReason.Cancelled, waiting.FinishReason);
        Assert.True(engine.Disposed);
        Assert.Throws<ObjectDisposedException>(() => scheduler.TrySubmit(Request(first: 3)));
    }
}
