using UNComp.Cli.Commands;
using UNComp.Runtime.Calibration;
using UNComp.Runtime.Profiles;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Cli.Tests.Commands;

public sealed class CalibrateCommandTests : IDisposable
{
    private readonly TinyModel tiny = new(new TinyModelSpec { Layers = 2, Heads = 4, KvHeads = 2, HeadDim = 8, Vocab = 40 });
    private readonly string data;

    public CalibrateCommandTests()
    {
        data = Path.Combine(tiny.Directory, "calib.jsonl");
        var rng = new Random(1);
        File.WriteAllLines(data, Enumerable.Range(0, 4).Select(_ => "{\"ids\": [" + string.Join(",", Enumerable.Range(0, 64).Select(_ => rng.Next(4, 40))) + "]}"));
    }

    public void Dispose() => tiny.Dispose();

    private (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Invoke(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Calibrate_TinyModelJsonlIds_WritesValidProfile()
    {
        string output = Path.Combine(tiny.Directory, "tiny.uncomp.json");
        var (code, text, error) = Run("calibrate", "--model", tiny.Directory, "--data", data, "--samples", "3", "--tokens", "32", "--k", "4",
            "--mean-budget", "32", "--min-keep-ratio", "0.5", "--out", output, "--name", "Tiny");
        Assert.True(code == 0, error);
        Assert.Contains("Wrote", text, StringComparison.Ordinal);
        var profile = ProfileLoader.Load(output);
        Assert.Equal(3, profile.Calibration.Samples);
        Assert.Equal(32, profile.Calibration.Tokens);
        Assert.Equal(4, profile.Calibration.TruncationK);
        Assert.Equal(32.0, profile.Layers.SelectMany(l => l.Budgets).Average());
    }

    [Fact]
    public void Calibrate_Also_WritesQueryHeadVariantFromSameMeasurements()
    {
        string main = Path.Combine(tiny.Directory, "a.uncomp.json");
        string variant = Path.Combine(tiny.Directory, "b.uncomp.json");
        var (code, _, error) = Run("calibrate", "--model", tiny.Directory, "--data", data, "--samples", "2", "--tokens", "32", "--mean-budget", "32",
            "--out", main, "--name", "Tiny", "--also", $"4:queryHead:{variant}:TinyQh");
        Assert.True(code == 0, error);
        var a = ProfileLoader.Load(main);
        var b = ProfileLoader.Load(variant);
        Assert.Equal("TinyQh", b.Name);
        Assert.Equal(4, b.Layers[0].Budgets.Count);
        Assert.Equal(a.Layers[1].Entropy, b.Layers[1].Entropy);
    }

    [Fact]
    public void Recalibrate_SameData_ReportsNoChangeAndWrites()
    {
        string output = Path.Combine(tiny.Directory, "tiny.uncomp.json");
        Assert.Equal(0, Run("calibrate", "--model", tiny.Directory, "--data", data, "--samples", "2", "--tokens", "32", "--mean-budget", "32", "--out", output, "--name", "Tiny").Code);
        string updated = Path.Combine(tiny.Directory, "updated.uncomp.json");
        var (code, text, error) = Run("recalibrate", output, "--model", tiny.Directory, "--data", data, "--samples", "2", "--tokens", "32", "--write", updated);
        Assert.True(code == 0, error);
        Assert.Contains("mean ρ 1.000", text, StringComparison.Ordinal);
        Assert.Contains("0 of 4 kvHead units would change", text, StringComparison.Ordinal);
        Assert.True(File.Exists(updated));
    }

    [Fact]
    public void DescribeStages_NamesWhatEachStageKeeps_AndHowToCheckIt_OnlyWithMoreThanOneStage()
    {
        ProfileStage[] two =
        [
            new() { FirstLayer = 0, LastLayer = 1, KeepTokens = 8192 },
            new() { FirstLayer = 2, LastLayer = 7, KeepTokens = 1536 },
        ];
        ProfileStage[] three = [two[0], new() { FirstLayer = 2, LastLayer = 2, KeepTokens = 4096 }, new() { FirstLayer = 3, LastLayer = 7, KeepTokens = 1536 }];

        string? text = CalibrateCommand.DescribeStages(two);

        Assert.NotNull(text);
        Assert.StartsWith("Hidden-state stages: layers 0–1 keep 8192 tokens; layers 2–7 keep 1536 tokens.", text, StringComparison.Ordinal);
        Assert.Contains("uncomp-kv", text, StringComparison.Ordinal);
        Assert.Contains("--no-hidden-states", text, StringComparison.Ordinal);
        Assert.Contains("layer 2 keep 4096 tokens; layers 3–7 keep 1536", CalibrateCommand.DescribeStages(three), StringComparison.Ordinal);
        Assert.Null(CalibrateCommand.DescribeStages([new ProfileStage { FirstLayer = 0, LastLayer = 7, KeepTokens = 8192 }]));
    }

    [Theory]
    [InlineData(null, GpuCalibrationPrecision.Fp32)]
    [InlineData("fp32", GpuCalibrationPrecision.Fp32)]
    [InlineData("BF16", GpuCalibrationPrecision.Bf16)]
    public void GpuPrecision_ParsesFp32AndBf16(string? value, GpuCalibrationPrecision expected) =>
        Assert.Equal(expected, CalibrateCommand.ParsePrecision(value));

    [Fact]
    public void Calibrate_UnknownGpuPrecision_NamesTheAcceptedValues()
    {
        var (code, _, error) = Run("calibrate", "--model", tiny.Directory, "--data", data, "--samples", "2", "--tokens", "32",
            "--gpu-precision", "fp16", "--out", Path.Combine(tiny.Directory, "p.json"));
        Assert.NotEqual(0, code);
        Assert.Contains("--gpu-precision \"fp16\" is not fp32 or bf16", error);
        Assert.False(File.Exists(Path.Combine(tiny.Directory, "p.json")));
    }

    [Fact]
    public void Calibrate_TextWithoutTokenizer_ExplainsTheFix()
    {
        string text = Path.Combine(tiny.Directory, "plain.txt");
        File.WriteAllText(text, "hello world");
        var (code, _, error) = Run("calibrate", "--model", tiny.Directory, "--data", text, "--out", Path.Combine(tiny.Directory, "x.json"));
        Assert.Equal(1, code);
        Assert.Contains("tokenizer", error, StringComparison.Ordinal);
    }
}
