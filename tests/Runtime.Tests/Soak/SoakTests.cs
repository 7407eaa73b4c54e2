using System.Diagnostics;
using System.Globalization;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Tests.Generation;
using Xunit.Abstractions;

namespace UNComp.Runtime.Tests.Soak;

/// <summary>
/// Soak on the fixture model: many generations of random prompt and output lengths, greedy and sampled, full and
/// compressed caches, one fresh <see cref="Generator"/> each. Memory must stay bounded (managed heap, RSS, native
/// KV bytes back to their baseline) and a replay of the same seeds must give the same tokens. CI runs 12
/// generations; <c>UNCOMP_SOAK_GENERATIONS=1000</c> runs the long version (figures in docs/reliability.md).
/// </summary>
[Collection(NativeMemoryTests.Name)]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int Seed = 14;

    [Fact]
    public void Generations_RandomLengths_BoundedMemoryAndReproducibleTokens()
    {
        int generations = int.TryParse(Environment.GetEnvironmentVariable("UNCOMP_SOAK_GENERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 12;
        string directory = Path.Combine(GoldenParityTests.RepoRoot()!, "models", "fixture-llama");
        using var model = LlamaModel.Load(directory);

        // Caches that earlier tests dropped without disposing are freed by their finalizers; let that happen before
        // the baseline, or a finalizer running during the soak moves the counter below it.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long nativeBaseline = KvCache.NativeBytesInUse;
        var outputs = new List<int[]>(generations);
        var sw = Stopwatch.StartNew();
        int warmup = Math.Max(2, generations / 10);
        (long Heap, long Rss) afterWarmup = default, peak = default;
        for (int i = 0; i < generations; i++)
        {
            outputs.Add(Generate(model, i));
            if (i + 1 == warmup)
            {
                afterWarmup = Measure();
            }
            else if (i + 1 > warmup && (i + 1) % Math.Max(1, generations / 20) == 0)
            {
                var now = Measure();
                peak = (Math.Max(peak.Heap, now.Heap), Math.Max(peak.Rss, now.Rss));
            }
        }

        var end = Measure();
        peak = (Math.Max(peak.Heap, end.Heap), Math.Max(peak.Rss, end.Rss));
        int replayed = Math.Min(generations, 6);
        for (int i = 0; i < replayed; i++)
        {
            Assert.Equal(outputs[i], Generate(model, i));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{generations} generations ({outputs.Sum(o => o.Length):N0} tokens generated) in {sw.Elapsed.TotalSeconds:F1} s; managed heap after GC: {afterWarmup.Heap / 1048576.0:F1} MiB after warm-up, {end.Heap / 1048576.0:F1} MiB at the end (peak {peak.Heap / 1048576.0:F1}); RSS {afterWarmup.Rss / 1048576.0:F0} → {end.Rss / 1048576.0:F0} MiB (peak {peak.Rss / 1048576.0:F0}); native KV bytes back to baseline: {KvCache.NativeBytesInUse == nativeBaseline}; {replayed} replays identical"));
        Assert.Equal(nativeBaseline, KvCache.NativeBytesInUse);
        Assert.True(end.Heap - afterWarmup.Heap < 8L << 20, $"managed heap grew {(end.Heap - afterWarmup.Heap) / 1048576.0:F1} MiB after warm-up");
        Assert.True(peak.Rss - afterWarmup.Rss < 256L << 20, $"RSS grew {(peak.Rss - afterWarmup.Rss) / 1048576.0:F0} MiB after warm-up");
    }

    /// <summary>Generation <paramref name="index"/>: its lengths, sampling and cache all come from its own seed.</summary>
    private static int[] Generate(LlamaModel model, int index)
    {
        var rng = new Random(UNComp.Testing.Fuzzing.Mutator.CaseSeed(Seed, index));
        int promptLength = 1 + rng.Next(rng.Next(4) == 0 ? 512 : 96);
        int newTokens = rng.Next(33);
        int[] prompt = [.. Enumerable.Range(0, promptLength).Select(_ => rng.Next(model.Config.VocabSize))];
        var sampling = rng.Next(2) == 0
            ? SamplingOptions.Greedy
            : new SamplingOptions { Temperature = 0.5 + rng.NextDouble(), TopK = rng.Next(0, 50), TopP = 0.9, Seed = rng.Next() };
        int maxLength = promptLength + newTokens + 1;
        var p = new GeneratorParams { MaxNewTokens = newTokens, MaxLength = maxLength, Sampling = sampling, EosTokenIds = [], Backend = UNComp.Runtime.Compute.CpuBackend.Shared };
        if (rng.Next(3) == 0)
        {
            // A compressed cache: every unit keeps a random budget below the prompt length.
            int budget = Math.Max(8, rng.Next(8, Math.Max(9, promptLength)));
            var config = model.Config;
            var layout = KvCacheLayout.FromCapacities(config, [.. Enumerable.Range(0, config.NumLayers).Select(_ => Enumerable.Repeat(Math.Min(budget, maxLength), config.NumKeyValueHeads).ToArray())]);
            p = p with { CacheLayout = layout, Hooks = new CompressionHooks { Policy = new UncompPolicy() } };
        }

        using var generator = new Generator(model, p);
        generator.AppendTokens(prompt);
        var generated = new List<int>();
        while (!generator.IsDone && newTokens > 0)
        {
            generated.Add(generator.GenerateNextToken());
        }

        return [.. generated];
    }

    private static (long Heap, long Rss) Measure()
    {
        long heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return (heap, process.WorkingSet64);
    }
}
