using UNComp.Runtime.Compression;
using UNComp.Runtime.Compression.Methods;

namespace UNComp.Runtime.Tests.Compression.Methods;

/// <summary>
/// The definition-driven executor against the hand-written reference policies on seeded random inputs with many
/// ties (scores drawn from a few values): the same kept indices at prefill and the same evicted slot at decode.
/// </summary>
public class SpecVersusReferencePolicyTests
{
    public static TheoryData<string> Methods => new() { "uncomp", "uncomp-grow", "snapkv", "snapkv-avg", "streamingllm", "h2o" };

    private static (IKvCachePolicy Reference, SpecPolicy Spec) Pair(string name) => name switch
    {
        "uncomp" => (new UncompPolicy(), new SpecPolicy(name, new SelectionSpec(ScoreSource.ObservationWindow, 8, 7, PoolingKind.Max, 0, 8, DecodeMode.Fixed))),
        "uncomp-grow" => (new UncompPolicy(growTokens: 3), new SpecPolicy(name, new SelectionSpec(ScoreSource.ObservationWindow, 8, 7, PoolingKind.Max, 0, 8, DecodeMode.Grow), growTokens: 3)),
        "snapkv" => (new SnapKvPolicy(), new SpecPolicy(name, SnapKvMethod.Spec)),
        "snapkv-avg" => (new SnapKvPolicy(pooling: PoolingKind.Average), new SpecPolicy(name, SnapKvMethod.Spec with { Pool = PoolingKind.Average })),
        "streamingllm" => (new StreamingLlmPolicy(), new SpecPolicy(name, StreamingLlmMethod.Spec)),
        "h2o" => (new H2OPolicy(), new SpecPolicy(name, H2OMethod.Spec)),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void Prefill_SameKeptIndicesAsReferencePolicy(string name)
    {
        var (reference, spec) = Pair(name);
        Assert.Equal(reference.Request, spec.Request);
        var rng = new Random(77);
        for (int trial = 0; trial < 400; trial++)
        {
            int length = rng.Next(2, 200);
            int layoutCapacity = rng.Next(1, length + 4);
            Assert.Equal(reference.PrefillKeep(0, 0, layoutCapacity), spec.PrefillKeep(0, 0, layoutCapacity));
            int capacity = Math.Min(reference.PrefillKeep(0, 0, layoutCapacity), length - 1);
            if (capacity < 1)
            {
                continue;
            }

            var window = Enumerable.Range(0, length).Select(_ => rng.Next(5) / 4f).ToArray();
            var columns = Enumerable.Range(0, length).Select(_ => rng.Next(3) * 1.5f).ToArray();
            var positions = Enumerable.Range(0, length).ToArray();
            var ctx = new PrefillSelectionContext(0, 0, capacity, 2, reference.Request.ObservationWindow, positions, window, columns);
            var expected = new int[capacity];
            var actual = new int[capacity];
            reference.SelectPrefill(ctx, expected);
            spec.SelectPrefill(ctx, actual);
            Assert.True(expected.SequenceEqual(actual), $"{name} trial {trial} L={length} C={capacity}: [{string.Join(',', expected)}] vs [{string.Join(',', actual)}]");
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void DecodeEviction_SameSlotAsReferencePolicy(string name)
    {
        var (reference, spec) = Pair(name);
        var rng = new Random(78);
        const int D = 4, Heads = 2;
        for (int trial = 0; trial < 300; trial++)
        {
            int n = rng.Next(1, 60);
            int recent = Math.Min(reference.Request.ObservationWindow, rng.Next(0, 10));
            var keys = Grid(rng, n * D);
            var newKey = Grid(rng, D);
            var queries = Grid(rng, Heads * recent * D);
            var current = Enumerable.Range(0, n + 1).Select(_ => rng.Next(4) / 8f).ToArray();
            var accumulated = Enumerable.Range(0, n).Select(_ => rng.Next(4) * 0.25f).ToArray();
            var positions = Enumerable.Range(0, n).Select(i => i * 3).ToArray();
            var ctx = new DecodeSelectionContext(1, 0, n, D, Heads, recent, positions, keys, newKey, 3 * n, queries, current, accumulated);
            Assert.True(reference.SelectDecodeEviction(ctx) == spec.SelectDecodeEviction(ctx), $"{name} trial {trial} n={n} recent={recent}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void HiddenStatePruning_SameSurvivorsAsReferencePruner(bool keepLastWindow)
    {
        var keepPerLayer = new[] { int.MaxValue, 50, 20, 5 };
        var reference = new UncompHiddenStatePruner(keepPerLayer, 8, keepLastWindow);
        var spec = new SpecHiddenStatePruner(new HiddenStateSpec(keepPerLayer, 8, keepLastWindow));
        Assert.Equal(reference.ObservationWindow, spec.ObservationWindow);
        var rng = new Random(79);
        for (int trial = 0; trial < 200; trial++)
        {
            int layer = rng.Next(1, 4);
            int keepTokens = spec.KeepTokens(layer);
            Assert.Equal(reference.KeepTokens(layer), keepTokens);
            int length = keepTokens + rng.Next(1, 100);
            var scores = Enumerable.Range(0, length).Select(_ => rng.Next(6) / 5f).ToArray();
            var ctx = new PruneContext(layer, keepTokens, Math.Min(8, length), Enumerable.Range(0, length).ToArray(), scores);
            var expected = new int[keepTokens];
            var actual = new int[keepTokens];
            reference.Select(ctx, expected);
            spec.Select(ctx, actual);
            Assert.Equal(expected, actual);
        }
    }

    // Values on a coarse grid, so equal scores (ties) are common.
    private static float[] Grid(Random rng, int count) => Enumerable.Range(0, count).Select(_ => (rng.Next(5) - 2) * 0.5f).ToArray();
}
