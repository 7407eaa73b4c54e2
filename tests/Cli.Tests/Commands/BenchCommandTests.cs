using System.Text.Json;
using UNComp.Cli.Bench;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Cli.Tests.Commands;

public class BenchCommandTests
{
    [Fact]
    public void GpuBench_BudgetOnlyWithoutABudget_SaysWhatItNeedsBeforeTouchingTheDevice()
    {
        // --budget-only measures the compressed layout alone: without --budget-percent there is nothing to measure, and
        // the error comes before any device is opened (so it reads the same on a machine without a GPU).
        var settings = new UNComp.Cli.Commands.GpuBench.Settings("no-model", 512, 4, 1, BudgetPercent: 0, JsonPath: null, "uncomp bench", Sweep: false)
        {
            BudgetOnly = true,
        };
        var e = Assert.Throws<ArgumentException>(() => UNComp.Cli.Commands.GpuBench.Run(settings, new StringWriter(), CancellationToken.None));
        Assert.Contains("--budget-only needs --budget-percent", e.Message);
    }

    [Fact]
    public void GpuBench_NegativeCaptureSteps_IsRefusedBeforeTouchingTheDevice()
    {
        var settings = new UNComp.Cli.Commands.GpuBench.Settings("no-model", 512, 4, 1, BudgetPercent: 4.74, JsonPath: null, "uncomp bench", Sweep: false)
        {
            CaptureSteps = -1,
        };
        var e = Assert.Throws<ArgumentException>(() => UNComp.Cli.Commands.GpuBench.Run(settings, new StringWriter(), CancellationToken.None));
        Assert.Contains("--capture-steps must be ≥ 0 (got -1)", e.Message);
    }

    [Fact]
    public void Bench_WritesAReportWithEveryGridPointAndItsRuns()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        string json = Path.Combine(tiny.Directory, "out", "bench.json");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Invoke(["bench", "--model", tiny.Directory, "--prompt-tokens", "5,9", "--new", "4", "--threads", "1,2",
            "--warmup", "1", "--runs", "2", "--json", json], output, error);
        Assert.True(code == 0, error.ToString());

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal("uncomp-bench/1", root.GetProperty("schema").GetString());
        Assert.StartsWith("uncomp bench --model", root.GetProperty("command").GetString());
        Assert.Contains("--runs 2", root.GetProperty("command").GetString());
        Assert.True(root.GetProperty("machine").GetProperty("logicalCores").GetInt32() >= 1);
        Assert.False(string.IsNullOrEmpty(root.GetProperty("versions").GetProperty("dotnet").GetString()));
        var results = root.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(4, results.Length); // 2 thread counts × 2 prompt lengths
        Assert.Equal([1, 1, 2, 2], results.Select(r => r.GetProperty("threads").GetInt32()));
        Assert.Equal([5, 9, 5, 9], results.Select(r => r.GetProperty("promptTokens").GetInt32()));
        foreach (var r in results)
        {
            Assert.Equal("cpu", r.GetProperty("device").GetString());
            var prefill = r.GetProperty("prefill");
            var seconds = prefill.GetProperty("seconds").EnumerateArray().Select(s => s.GetDouble()).ToArray();
            Assert.Equal(2, seconds.Length);
            Assert.Equal(seconds.Min(), prefill.GetProperty("minSeconds").GetDouble());
            Assert.Equal(seconds.Average(), prefill.GetProperty("medianSeconds").GetDouble(), 12);
            Assert.Equal(3, r.GetProperty("decode").GetProperty("tokens").GetInt32()); // the first new token comes from the prefill
            int n = r.GetProperty("promptTokens").GetInt32();
            Assert.Equal(BenchPrompt.Sha256(BenchPrompt.Ids(n, 40, 1)), r.GetProperty("promptIdsSha256").GetString());
        }

        Assert.Contains("report: ", output.ToString());
    }

    [Fact]
    public void PromptIds_AreTheSplitMix64SequenceThePythonPeerMakes()
    {
        // Values from tools/bench/cpu_peer.py prompt_ids(1024, 4096, 1): both engines must see the same prompt.
        var ids = BenchPrompt.Ids(1024, 4096, 1);
        Assert.Equal([3265, 3175, 1374, 2315, 1465], ids.Take(5));
        Assert.Equal("62026c3e87b7a3b6c4b25794c284fcff6eac7411979e330fdd3a7ba4f1d87622", BenchPrompt.Sha256(ids));
    }

    [Theory]
    [InlineData("--threads", "1,x")]
    [InlineData("--prompt-tokens", "0")]
    [InlineData("--methods", "full,nosuch")]
    [InlineData("--decode-chunks", "512,16")]
    public void Bench_RejectsBadGridValuesWithAMessage(string option, string value)
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        var error = new StringWriter();
        int code = Program.Invoke(["bench", "--model", tiny.Directory, option, value], new StringWriter(), error);
        Assert.Equal(1, code);
        Assert.Contains(option, error.ToString());
    }
}
