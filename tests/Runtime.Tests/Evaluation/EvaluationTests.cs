using UNComp.Runtime.Evaluation;
using UNComp.Runtime.Tests.Profiles;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Evaluation;

public class EvaluationTests
{
    private static readonly string Haystack = string.Join('\n', Enumerable.Range(0, 200).Select(i => $"Line {i} of the haystack talks about nothing much at all."));

    [Theory]
    [InlineData(300)]
    [InlineData(1000)]
    public void Generator_AllTasks_HitTargetLengthAndContainAnswer(int target)
    {
        var codec = new AsciiCodec();
        var gen = new TaskGenerator(codec, Haystack, TaskTemplates.Default);
        var samples = new[]
        {
            gen.Passkey(target, 0.5, 0, new Random(1)),
            gen.Needle(target, 0.3, 0, new Random(2)),
            gen.MultiKey(target, 0, new Random(3)),
        };
        foreach (var s in samples)
        {
            Assert.InRange(s.Tokens.Length, target - Math.Max(2, target / 100) - 60, target + Math.Max(2, target / 100));
            string text = codec.Decode(s.Tokens, true);
            Assert.Contains(s.Answer, text);
            Assert.Matches("^[0-9]+$", s.Answer);
        }
    }

    [Fact]
    public void Generator_NeedleDepth_PlacesNeedleAtThatDepth()
    {
        var codec = new AsciiCodec();
        var gen = new TaskGenerator(codec, Haystack, TaskTemplates.Default);
        foreach (double depth in new[] { 0.0, 0.5, 1.0 })
        {
            var s = gen.Needle(800, depth, 0, new Random(9));
            string text = codec.Decode(s.Tokens, true);
            int question = text.IndexOf("\nQuestion: What is the special", StringComparison.Ordinal);
            double at = text.IndexOf("The special magic ", StringComparison.Ordinal) / (double)question;
            Assert.InRange(at, depth - 0.1, depth + 0.1);
        }
    }

    [Fact]
    public void Generator_Passkey_JoinsPiecesBySingleSpacesLikeTheFixtureTraining()
    {
        var codec = new AsciiCodec();
        var gen = new TaskGenerator(codec, Haystack, TaskTemplates.Default);
        var s = gen.Passkey(600, 0.5, 0, new Random(3));
        string text = codec.Decode(s.Tokens, true);
        const string Filler = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
        Assert.StartsWith("There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. I will quiz you about the important information there. " + Filler + " ", text, StringComparison.Ordinal);
        Assert.Contains("again. The pass key is " + s.Answer + ". Remember it. " + s.Answer + " is the pass key. The grass", text, StringComparison.Ordinal);
        Assert.EndsWith(Filler + " What is the pass key? The pass key is", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Generator_SameSeed_SamePrompts()
    {
        var options = new EvalOptions { ContextLengths = [200], Depths = [0, 1], PasskeySamples = 2, MultiKeySamples = 2, Methods = ["full"] };
        using var tiny = new TinyModel(new TinyModelSpec { Vocab = 128 });
        using var model = tiny.Load();
        var a = new EvalRunner(model, new AsciiCodec(), Haystack, options, null).GenerateSamples();
        var b = new EvalRunner(model, new AsciiCodec(), Haystack, options, null).GenerateSamples();
        Assert.Equal(6, a.Count);
        Assert.Equal(a.Select(s => string.Join(',', s.Tokens)), b.Select(s => string.Join(',', s.Tokens)));
        Assert.Equal(a.Select(s => s.Answer), b.Select(s => s.Answer));
    }

    [Theory]
    [InlineData(" 12345.", "12345")]
    [InlineData("is 7 and 8", "7")]
    [InlineData("none", "")]
    [InlineData("99", "99")]
    public void FirstNumber_ExtractsFirstDigitRun(string text, string expected) => Assert.Equal(expected, EvalRunner.FirstNumber(text));

    [Fact]
    public void Runner_TinyGrid_RecordsEveryRunAndWritesReport()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Vocab = 128, Layers = 2, Heads = 4, KvHeads = 2 });
        using var model = tiny.Load();
        var profile = TestProfiles.Build(layers: 2, heads: 4, kvHeads: 2);
        var options = new EvalOptions
        {
            ContextLengths = [120, 200],
            Depths = [0, 1],
            PasskeySamples = 1,
            MultiKeySamples = 1,
            Budgets = [0.1, 0.25],
            Methods = ["full", "uncomp", "snapkv", "pyramidkv", "streamingllm", "h2o"],
            MaxNewTokens = 3,
        };
        var progress = new List<EvalProgress>();
        var report = new EvalRunner(model, new AsciiCodec(), Haystack, options, profile).Run(new SyncProgress(progress.Add));

        int samples = 1 + 4 + 1;
        int runs = 1 + (5 * 2);
        Assert.Equal(samples * runs, report.Records.Count);
        Assert.Equal(samples * runs, progress[^1].RunsDone);
        Assert.All(report.Records.Where(r => r.Method != "full"), r => Assert.True(r.KvBytes < r.FullKvBytes, $"{r.Method} {r.Budget}"));
        Assert.All(report.Records.Where(r => r.Method == "full"), r => Assert.Equal(r.FullKvBytes, r.KvBytes));
        var snap = report.Records.First(r => r.Method == "snapkv" && r.Budget == 0.1);
        Assert.Equal(Math.Round(0.1 * snap.PromptTokens, 2), snap.MeanTokensPerUnit, 0.5);

        string dir = Path.Combine(Path.GetTempPath(), "uncomp-eval-" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = EvalReportWriter.WriteAll(report, dir, "uncomp eval --test");
            // json, md, a budget plot per (task, length): passkey@200, needle@120, needle@200, multikey@200;
            // a heat map per compressing method; a needle map per (method, budget)
            Assert.Equal(1 + 1 + 4 + 5 + 11, files.Count);
            Assert.Contains(files, f => f.EndsWith("accuracy-needle-120.svg", StringComparison.Ordinal));
            Assert.Contains(files, f => f.EndsWith("method-uncomp.svg", StringComparison.Ordinal));
            var back = EvalReportWriter.FromJson(File.ReadAllText(Path.Combine(dir, "results.json")));
            Assert.Equal(report.Records.Count, back.Records.Count);
            string md = File.ReadAllText(Path.Combine(dir, "results.md"));
            Assert.Contains("| method | 10% | 25% |", md);
            Assert.Contains("| snapkv | SnapKV: window 32, max-pool 7, uniform budget |", md);
            Assert.Contains("![needle-uncomp-10pct.svg](needle-uncomp-10pct.svg)", md);
            Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(dir, "needle-full.svg")).TrimStart().Replace("<?xml version=\"1.0\" encoding=\"utf-8\"?>", "").TrimStart());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Runner_ParallelPrompts_GiveTheSameRecordsAsOneAtATime()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Vocab = 128, Layers = 2, Heads = 4, KvHeads = 2 });
        using var model = tiny.Load();
        var options = new EvalOptions
        {
            Tasks = [EvalTask.Passkey, EvalTask.MultiValue],
            ContextLengths = [160],
            PasskeySamples = 3,
            RulerSamples = 2,
            Budgets = [0.25],
            Methods = ["full", "snapkv", "streamingllm"],
            MaxNewTokens = 3,
        };
        var one = new EvalRunner(model, new AsciiCodec(), Haystack, options, null).Run();
        var four = new EvalRunner(model, new AsciiCodec(), Haystack, options with { Parallelism = 4 }, null).Run();
        Assert.Equal(5 * 3, one.Records.Count);
        Assert.Equal(one.Records.Select(r => (r.Task, r.Index, r.Method, r.Output, r.KvBytes)), four.Records.Select(r => (r.Task, r.Index, r.Method, r.Output, r.KvBytes)));
        Assert.Equal(4, four.Settings.Parallelism);
    }

    [Fact]
    public void Runner_Fidelity_FullIsExactAndCompressionDiverges()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Vocab = 128, Layers = 2, Heads = 4, KvHeads = 2 });
        using var model = tiny.Load();
        var options = new EvalOptions { Tasks = [EvalTask.Passkey], ContextLengths = [200], PasskeySamples = 2, Budgets = [0.05, 1.0], Methods = ["full", "snapkv"], MaxNewTokens = 2, Fidelity = true };
        var report = new EvalRunner(model, new AsciiCodec(), Haystack, options, null).Run();
        Assert.All(report.Records.Where(r => r.Method == "full"), r => Assert.Equal(0, r.Kl));
        Assert.All(report.Records, r => Assert.True(r.ReferenceRank >= 0));
        // A budget of the whole prompt keeps everything: the same distributions as the full cache.
        Assert.All(report.Records.Where(r => r.Method == "snapkv" && r.Budget == 1.0), r => Assert.Equal(0, r.Kl!.Value, 4));
        Assert.All(report.Records.Where(r => r.Method == "snapkv" && r.Budget == 0.05), r => Assert.True(r.Kl > 1e-4, $"KL {r.Kl}"));
        var summary = report.Summaries.Single(s => s.Method == "snapkv" && s.Budget == 0.05);
        Assert.NotNull(summary.MeanKl);
        Assert.Contains("Teacher-forced fidelity", EvalReportWriter.ToMarkdown(report));
    }

    [Fact]
    public void Runner_RecordKeptPositions_ListsAscendingPositionsWithinEachUnitsCapacity()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Vocab = 128, Layers = 2, Heads = 4, KvHeads = 2 });
        using var model = tiny.Load();
        var options = new EvalOptions { Tasks = [EvalTask.Passkey], ContextLengths = [200], PasskeySamples = 1, Budgets = [0.1], Methods = ["snapkv"], MaxNewTokens = 2, RecordKeptPositions = true };
        var record = new EvalRunner(model, new AsciiCodec(), Haystack, options, null).Run().Records.Single();
        Assert.NotNull(record.PromptIds);
        Assert.Equal(record.PromptTokens, record.PromptIds!.Count);
        Assert.Equal(2, record.KeptPositions!.Count);
        foreach (var unit in record.KeptPositions.SelectMany(l => l))
        {
            Assert.InRange(unit.Count, 1, (int)Math.Ceiling(record.MeanTokensPerUnit) + 1);
            Assert.True(unit.Zip(unit.Skip(1)).All(p => p.First < p.Second), "ascending");
            Assert.Equal(record.PromptTokens - 1, unit[^1]); // the observation window ends at the last prompt token
        }
    }

    [Fact]
    public void Summarize_GivesPerLengthAndAllLengthRowsWithWilsonIntervals()
    {
        EvalRecord R(int length, string method, bool ok) => new() { Task = "passkey", Method = method, Budget = method == "full" ? 1 : 0.1, ContextLength = length, Answer = "1", Output = ok ? "1" : "2", Correct = ok, KvBytes = 1, FullKvBytes = 10 };
        var records = new List<EvalRecord>();
        records.AddRange(Enumerable.Range(0, 10).Select(i => R(100, "full", true)));
        records.AddRange(Enumerable.Range(0, 10).Select(i => R(200, "full", i < 5)));
        records.AddRange(Enumerable.Range(0, 10).Select(i => R(100, "snapkv", i < 5)));
        records.AddRange(Enumerable.Range(0, 10).Select(i => R(200, "snapkv", false)));
        var rows = EvalRunner.Summarize(records);
        Assert.Equal(6, rows.Count);
        var s100 = rows.Single(r => r.Method == "snapkv" && r.ContextLength == 100);
        Assert.Equal(0.5, s100.Accuracy);
        Assert.Equal(0.5, s100.RelativeToFull);
        Assert.Equal(0.2366, s100.Low, 4);
        Assert.Equal(0.7634, s100.High, 4);
        var all = rows.Single(r => r.Method == "snapkv" && r.ContextLength == 0);
        Assert.Equal(20, all.Samples);
        Assert.Equal(0.25, all.Accuracy);
        Assert.Equal(Math.Round(0.25 / 0.75, 4), all.RelativeToFull);
    }

    [Fact]
    public void Runner_Cancelled_Throws()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Vocab = 128 });
        using var model = tiny.Load();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var runner = new EvalRunner(model, new AsciiCodec(), Haystack, new EvalOptions { ContextLengths = [100], Methods = ["full"] }, null);
        Assert.Throws<OperationCanceledException>(() => runner.Run(null, cts.Token));
    }

    [Fact]
    public void Runner_UncompWithoutProfile_IsRejected()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Vocab = 128 });
        using var model = tiny.Load();
        var e = Assert.Throws<ArgumentException>(() => new EvalRunner(model, new AsciiCodec(), Haystack, new EvalOptions(), null));
        Assert.Contains("profile", e.Message);
    }

    private sealed class SyncProgress(Action<EvalProgress> report) : IProgress<EvalProgress>
    {
        public void Report(EvalProgress value) => report(value);
    }
}
