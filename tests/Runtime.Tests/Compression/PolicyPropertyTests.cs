using UNComp.Runtime.Compression;

namespace UNComp.Runtime.Tests.Compression;

/// <summary>Seeded random checks of every policy's prefill selection and decode eviction.</summary>
public class PolicyPropertyTests
{
    public static TheoryData<string> Policies => new() { "uncomp", "snapkv", "pyramidkv", "streamingllm", "h2o" };

    internal static IKvCachePolicy Create(string name) => name switch
    {
        "uncomp" => new UncompPolicy(),
        "snapkv" => new SnapKvPolicy(),
        "pyramidkv" => new SnapKvPolicy(name: "pyramidkv", pooling: PoolingKind.Average),
        "streamingllm" => new StreamingLlmPolicy(),
        "h2o" => new H2OPolicy(),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public void SelectPrefill_RandomInputs_ExactCapacityStrictlyIncreasingWindowKept(string name)
    {
        var policy = Create(name);
        var rng = new Random(1234);
        for (int trial = 0; trial < 300; trial++)
        {
            int length = rng.Next(2, 300);
            int capacity = rng.Next(1, length);
            var window = new float[length];
            var columns = new float[length];
            for (int i = 0; i < length; i++)
            {
                window[i] = rng.Next(4) == 0 ? 0.5f : (float)rng.NextDouble();
                columns[i] = (float)(rng.NextDouble() * 10);
            }

            var positions = Enumerable.Range(0, length).Select(i => i * 2).ToArray();
            var ctx = new PrefillSelectionContext(0, 0, capacity, 2, policy.Request.ObservationWindow, positions, window, columns);
            var keep = Enumerable.Repeat(-1, capacity).ToArray();
            policy.SelectPrefill(ctx, keep);

            string what = $"{name} trial {trial} L={length} B={capacity}";
            for (int i = 0; i < capacity; i++)
            {
                Assert.InRange(keep[i], 0, length - 1);
                Assert.True(i == 0 || keep[i] > keep[i - 1], what + ": not strictly increasing");
            }

            // The most recent min(w, B) tokens always survive (w = window, StreamingLLM: the recent part, H2O: half).
            int recent = name switch
            {
                "uncomp" => Math.Min(8, capacity),
                "snapkv" or "pyramidkv" => Math.Min(32, capacity),
                "streamingllm" => capacity - Math.Min(4, capacity - 1),
                _ => Math.Max(1, (int)Math.Round(capacity * 0.5, MidpointRounding.AwayFromZero)),
            };
            Assert.Equal(Enumerable.Range(length - recent, recent), keep[^recent..]);
            if (name == "streamingllm")
            {
                Assert.Equal(Enumerable.Range(0, capacity - recent), keep[..(capacity - recent)]);
            }
        }
    }

    [Fact]
    public void UncompPrefill_KeepsTopPooledScoresAmongNonWindowTokens()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 100; trial++)
        {
            int length = rng.Next(20, 200);
            int capacity = rng.Next(9, length);
            var window = Enumerable.Range(0, length).Select(_ => (float)rng.NextDouble()).ToArray();
            var keep = new int[capacity];
            new UncompPolicy().SelectPrefill(new PrefillSelectionContext(0, 0, capacity, 1, 8, new int[length], window, default), keep);
            var pooled = new float[length - 8];
            ScorePooling.MaxPool(window.AsSpan(0, length - 8), pooled, 7);
            float minKept = keep[..^8].Min(i => pooled[i]);
            float maxDropped = Enumerable.Range(0, length - 8).Except(keep).Select(i => pooled[i]).DefaultIfEmpty(float.NegativeInfinity).Max();
            Assert.True(minKept >= maxDropped, $"trial {trial}: kept {minKept} < dropped {maxDropped}");
        }
    }

    [Fact]
    public void HiddenStatePruner_KeepsLastWindowAndTopScores()
    {
        var pruner = new UncompHiddenStatePruner([100, 10, 10]);
        var scores = new float[30];
        scores[3] = 5;
        scores[7] = 4;
        var keep = new int[10];
        pruner.Select(new PruneContext(1, 10, 8, Enumerable.Range(0, 30).ToArray(), scores), keep);
        Assert.Equal(new[] { 3, 7, 22, 23, 24, 25, 26, 27, 28, 29 }, keep);
    }

    [Fact]
    public void HiddenStatePruner_ParityFlagOff_SelectsPurelyByScore()
    {
        var pruner = new UncompHiddenStatePruner([100, 2], keepLastWindow: false);
        var scores = new float[30];
        scores[3] = 5;
        scores[7] = 4;
        var keep = new int[2];
        pruner.Select(new PruneContext(1, 2, 8, new int[30], scores), keep);
        Assert.Equal(new[] { 3, 7 }, keep);
    }

    [Fact]
    public void StreamingLlmDecode_EvictsOldestNonSink()
    {
        var ctx = new DecodeSelectionContext(0, 0, 10, 4, 1, 0, new int[10], new float[40], new float[4], 50, default, new float[11], default);
        Assert.Equal(4, new StreamingLlmPolicy().SelectDecodeEviction(ctx));
    }

    [Fact]
    public void H2ODecode_EvictsSmallestAccumulatedOutsideRecentHalf()
    {
        float[] acc = [5, 1, 3, 0.5f, 0.1f, 0.2f];
        var ctx = new DecodeSelectionContext(0, 0, 6, 4, 1, 0, new int[6], new float[24], new float[4], 50, default, new float[7], acc);

        // recent = 3 (the new token + 2 newest cached), so candidates are slots 0..3.
        Assert.Equal(3, new H2OPolicy().SelectDecodeEviction(ctx));
    }
}
