using UNComp.Runtime.Cache;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Gpu;

namespace UNComp.Runtime.GpuTests;

/// <summary>
/// Many generations of random lengths on one model: identical outputs for identical seeds, device memory back to
/// its baseline after every generator is disposed. 60 generations by default; UNCOMP_GPU_SOAK=1000 for the long run.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    [Fact]
    public void ManyGenerations_SameSeedsSameTokens_DeviceMemoryBackToBaseline()
    {
        var device = Gpu.Device;
        int count = int.TryParse(Environment.GetEnvironmentVariable("UNCOMP_GPU_SOAK"), out int n) && n > 0 ? n : 60;
        using var model = CudaModel.Load(device, Gpu.FixtureModel);
        lock (Gpu.MemoryGate)
        {
            device.Synchronize();
            long baseline = device.MemoryInfo().Free;
            var first = new Dictionary<int, List<int>>();
            long tokens = 0;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < count; i++)
            {
                int seed = i % 20; // every seed comes back: its output must repeat exactly
                var r = new Random(seed);
                int[] prompt = Enumerable.Range(0, 1 + r.Next(300)).Select(_ => r.Next(model.Config.VocabSize)).ToArray();
                var p = new GeneratorParams
                {
                    MaxNewTokens = 1 + r.Next(40),
                    MaxLength = 400,
                    EosTokenIds = [],
                    Sampling = new SamplingOptions { Temperature = 0.8, TopK = 50, Seed = seed },
                };
                using var generator = new Generator(model, p);
                var produced = generator.Generate(prompt).ToList();
                tokens += produced.Count;
                if (first.TryGetValue(seed, out var earlier))
                {
                    Assert.Equal(earlier, produced);
                }
                else
                {
                    first[seed] = produced;
                }
            }

            device.Synchronize();
            long after = device.MemoryInfo().Free;
            output.WriteLine($"{count} generations, {tokens} tokens in {watch.Elapsed.TotalSeconds:F1} s; free device memory {baseline:N0} before, {after:N0} after");
            Assert.InRange(baseline - after, -(64L << 20), 64L << 20);
        }
    }

    [Fact]
    public void CancelledPrefill_LeavesTheEngineReusable_WithTheSameResults()
    {
        var device = Gpu.Device;
        using var model = CudaModel.Load(device, Gpu.FixtureModel);
        using var engine = new CudaEngine(model, KvCacheLayout.Full(model.Config, 512));
        var r = new Random(3);
        int[] prompt = Enumerable.Range(0, 400).Select(_ => r.Next(model.Config.VocabSize)).ToArray();
        var expected = new float[model.Config.VocabSize];
        engine.Prefill(0, prompt, expected);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(layers => { if (layers == 2) { cts.Cancel(); } });
        Assert.ThrowsAny<OperationCanceledException>(() => engine.Prefill(0, prompt, new float[model.Config.VocabSize], progress, cts.Token));
        Assert.False(engine.IsActive(0));
        Assert.Throws<InvalidOperationException>(() => engine.Decode([0], [1], []));
        var again = new float[model.Config.VocabSize];
        engine.Prefill(0, prompt, again);
        Assert.Equal(expected, again);
    }

    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
