using UNComp.Runtime.Calibration;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Profiles;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Calibration;

public sealed class CalibratorTests : IDisposable
{
    private readonly TinyModel tiny = new(new TinyModelSpec { Layers = 3, Heads = 4, KvHeads = 2, HeadDim = 8, Vocab = 40 });

    public void Dispose() => tiny.Dispose();

    private static int[][] Documents(int seed, int length = 400)
    {
        var rng = new Random(seed);
        return [Enumerable.Range(0, length).Select(_ => rng.Next(4, 40)).ToArray()];
    }

    private static readonly PlanOptions Plan = new() { MeanBudget = 32, MinKeepRatio = 0.5, MaxTokens = 64 };

    [Fact]
    public void Calibrate_TinyModel_ValidProfileWithRealFingerprintAndDeterministic()
    {
        using var model = tiny.Load();
        var calibrator = new Calibrator(model, new CalibrationOptions { Samples = 3, Tokens = 48, Seed = 5, Entropy = new EntropyOptions(4) });
        var samples = calibrator.DrawSamples(Documents(1));
        var first = calibrator.Calibrate(samples, "Tiny", "random ids", Plan);
        var second = calibrator.Calibrate(samples, "Tiny", "random ids", Plan);
        Assert.Empty(ProfileValidator.Validate(first));
        Assert.Equal(ModelFingerprint.Compute(model), first.Model.Fingerprint);
        Assert.Equal(3, first.Calibration.Samples);
        Assert.Equal(48, first.Calibration.Tokens);
        Assert.Equal(4, first.Calibration.TruncationK);
        Assert.Equal(
            ProfileWriter.Write(first with { Calibration = first.Calibration with { CreatedUtc = "x" } }),
            ProfileWriter.Write(second with { Calibration = second.Calibration with { CreatedUtc = "x" } }));
        Assert.All(first.Layers, l => Assert.All(l.Entropy, e => Assert.InRange(e, 0.01, 1.0)));
    }

    [Fact]
    public void Measure_QueryObserver_MatchesEntropyOfCapturedQueries()
    {
        using var model = tiny.Load();
        var options = new CalibrationOptions { Samples = 1, Tokens = 32, Entropy = new EntropyOptions(8) };
        var samples = new Calibrator(model, options).DrawSamples(Documents(2));
        var measured = new Calibrator(model, options).Measure(samples);

        var capture = new CapturingObserver();
        var engine = new UNComp.Runtime.Generation.InferenceEngine(model, 32);
        engine.Prefill(samples[0], engine.CreateFullCache(), new CompressionHooks { Observer = capture }, new float[model.Config.VocabSize]);
        for (int l = 0; l < 3; l++)
        {
            var expected = LayerEntropy.Measure(capture.Queries[l], 32, 4, 8, options.Entropy);
            Assert.Equal(expected.Heads.Select(h => h.NormalizedEntropy), measured.Entropy(0, l));
        }
    }

    [Fact]
    public void Measure_KeyMatrix_QueryHeadsShareTheirKvHeadValue()
    {
        using var model = tiny.Load();
        var options = new CalibrationOptions { Samples = 1, Tokens = 32, Matrix = EntropyMatrix.Key, Entropy = new EntropyOptions(8) };
        var calibrator = new Calibrator(model, options);
        var m = calibrator.Measure(calibrator.DrawSamples(Documents(3)));
        var e = m.Entropy(0, 1);
        Assert.Equal(e[0], e[1]);
        Assert.Equal(e[2], e[3]);
        Assert.NotEqual(e[0], e[2]);
    }

    [Fact]
    public void Measure_Progress_ReachesAllLayersOfAllSamplesWithEta()
    {
        using var model = tiny.Load();
        var calibrator = new Calibrator(model, new CalibrationOptions { Samples = 2, Tokens = 16 });
        var reports = new List<CalibrationProgress>();
        calibrator.Measure(calibrator.DrawSamples(Documents(4)), new ListProgress(reports));
        Assert.Equal(6, reports.Count);
        Assert.Equal(1.0, reports[^1].Fraction, 12);
        Assert.Equal(TimeSpan.Zero, reports[^1].Remaining);
        Assert.Equal(reports.Select(r => r.Fraction).Order(), reports.Select(r => r.Fraction));
    }

    [Fact]
    public void Measure_Cancelled_Throws()
    {
        using var model = tiny.Load();
        var calibrator = new Calibrator(model, new CalibrationOptions { Samples = 2, Tokens = 16 });
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => calibrator.Measure(calibrator.DrawSamples(Documents(4)), null, cts.Token));
    }

    [Fact]
    public void Recalibrate_SameSamples_NoDrift_OtherSamples_Reported()
    {
        using var model = tiny.Load();
        var calibrator = new Calibrator(model, new CalibrationOptions { Samples = 2, Tokens = 48, Entropy = new EntropyOptions(4) });
        var samples = calibrator.DrawSamples(Documents(5));
        var profile = calibrator.Calibrate(samples, "Tiny", "a", Plan);

        var same = Recalibrator.Run(model, profile, samples, "a");
        Assert.Equal(1.0, same.MinSpearman, 12);
        Assert.Equal(0, same.ChangedUnits);

        var other = Recalibrator.Run(model, profile, [Enumerable.Repeat(7, 48).ToArray()], "constant prompt");
        Assert.Equal(3, other.Layers.Count);
        Assert.Equal(profile.Compression.MeanBudget, other.Updated.Compression.MeanBudget);
        Assert.Equal("constant prompt", other.Updated.Calibration.Source);
        Assert.True(other.MeanSpearman < 1.0);
    }

    [Fact]
    public void Recalibrate_OtherModel_ThrowsWithBothFingerprints()
    {
        using var model = tiny.Load();
        var profile = TestProfilesForModel(model);
        using var other = new TinyModel(new TinyModelSpec { Layers = 3, Heads = 4, KvHeads = 2, HeadDim = 8, Vocab = 41 });
        using var otherModel = other.Load();
        var e = Assert.Throws<ModelFingerprintMismatchException>(() => Recalibrator.Run(otherModel, profile, [new int[16]], "x"));
        Assert.Contains(ModelFingerprint.Compute(otherModel), e.Message, StringComparison.Ordinal);
    }

    private static UncompProfile TestProfilesForModel(UNComp.Runtime.Models.LlamaModel model)
    {
        var calibrator = new Calibrator(model, new CalibrationOptions { Samples = 1, Tokens = 16 });
        return calibrator.Calibrate(calibrator.DrawSamples(Documents(6)), "Tiny", "x", Plan);
    }

    private sealed class CapturingObserver : IPrefillObserver
    {
        public List<float[]> Queries { get; } = [];

        public bool WantsPreRope => false;

        public void OnLayer(in LayerActivations activations) => Queries.Add(activations.Queries.ToArray());
    }

    private sealed class ListProgress(List<CalibrationProgress> list) : IProgress<CalibrationProgress>
    {
        public void Report(CalibrationProgress value) => list.Add(value);
    }
}

public class CalibrationDataTests
{
    [Fact]
    public void Draw_SameSeed_SameDistinctSlots()
    {
        int[][] docs = [Enumerable.Range(0, 100).ToArray(), Enumerable.Range(100, 50).ToArray()];
        var a = CalibrationSampler.Draw(docs, 5, 20, 9);
        var b = CalibrationSampler.Draw(docs, 5, 20, 9);
        Assert.Equal(a.Select(s => s[0]), b.Select(s => s[0]));
        Assert.Equal(5, a.Select(s => s[0]).Distinct().Count());
        Assert.All(a, s => Assert.Equal(0, s[0] % 20));
        Assert.All(a, s => Assert.Equal(Enumerable.Range(s[0], 20), s));
        Assert.NotEqual(a.Select(s => s[0]), CalibrationSampler.Draw(docs, 5, 20, 10).Select(s => s[0]));
    }

    [Fact]
    public void Draw_CorpusShorterThanT_OneSampleOfEverything()
    {
        var s = CalibrationSampler.Draw([[1, 2, 3]], 10, 50, 1);
        Assert.Single(s);
        Assert.Equal([1, 2, 3], s[0]);
    }

    [Fact]
    public void Draw_MoreSamplesThanSlots_OverlappingWindowsInRange()
    {
        var s = CalibrationSampler.Draw([Enumerable.Range(0, 30).ToArray()], 8, 20, 1);
        Assert.Equal(8, s.Count);
        Assert.All(s, w => Assert.InRange(w[0], 0, 10));
    }

    [Fact]
    public void Load_JsonlWithIdsAndText_UsesIdsAndTokenizer()
    {
        string path = Path.Combine(Path.GetTempPath(), $"uncomp-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, "{\"ids\": [5, 6, 7]}\n\n\"ab\"\n{\"text\": \"c\"}\n");
        try
        {
            var docs = CalibrationCorpus.Load(path, new ByteCodec());
            Assert.Equal([[5, 6, 7], [97, 98], [99]], docs);
            var e = Assert.Throws<InvalidDataException>(() => CalibrationCorpus.Load(path, null));
            Assert.Contains(":3", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Spearman_KnownOrders()
    {
        Assert.Equal(1.0, Recalibrator.Spearman([0.1, 0.5, 0.3], [1, 9, 5]), 12);
        Assert.Equal(-1.0, Recalibrator.Spearman([0.1, 0.5, 0.3], [9, 1, 5]), 12);
        // One swap of neighbours among 4: 1 − 6·2/(4·15) = 0.8.
        Assert.Equal(0.8, Recalibrator.Spearman([1, 2, 3, 4], [2, 1, 3, 4]), 12);
    }

    private sealed class ByteCodec : UNComp.Runtime.Generation.ITokenCodec
    {
        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens) => System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();

        public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens) => string.Empty;
    }
}
