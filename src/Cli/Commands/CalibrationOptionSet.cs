using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UNComp.Runtime.Calibration;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Profiles;

namespace UNComp.Cli.Commands;

/// <summary>Options shared by calibrate and recalibrate: model, data, sampling and entropy settings.</summary>
internal sealed class CalibrationOptionSet
{
    public Option<string> Model { get; } = new("--model") { Description = "Model directory (HF layout).", Required = true };

    public Option<string> Data { get; } = new("--data") { Description = "Calibration text: a .txt file, a .jsonl file (\"text\" or \"ids\" per line) or a folder of them.", Required = true };

    public Option<int> Samples { get; } = new("--samples") { Description = "Number of prompts N.", DefaultValueFactory = _ => 100 };

    public Option<int> Tokens { get; } = new("--tokens") { Description = "Tokens per prompt T (capped by the model's max positions).", DefaultValueFactory = _ => 4096 };

    public Option<long> Seed { get; } = new("--seed") { Description = "Seed of the sample selection.", DefaultValueFactory = _ => 1234 };

    public Option<int> K { get; } = new("--k") { Description = "Eigenvalues kept in the truncated entropy H_k (capped at head_dim).", DefaultValueFactory = _ => EntropyOptions.DefaultTruncationK };

    public Option<bool> Elbow { get; } = new("--elbow") { Description = "Choose k per head at the elbow of the spectrum (--k is the cap)." };

    public Option<string> Matrix { get; } = new("--matrix") { Description = "query (default), key or value.", DefaultValueFactory = _ => EntropyMatrix.Query };

    public Option<bool> PreRope { get; } = new("--pre-rope") { Description = "Measure queries before RoPE." };

    /// <summary>Adds the options; <paramref name="measurement"/> false leaves out --k/--elbow/--matrix/--pre-rope (recalibrate takes them from the profile).</summary>
    public void AddTo(Command command, bool measurement = true)
    {
        Option[] options = measurement ? [Model, Data, Samples, Tokens, Seed, K, Elbow, Matrix, PreRope] : [Model, Data, Samples, Tokens, Seed];
        foreach (var o in options)
        {
            command.Options.Add(o);
        }
    }

    /// <summary>Reads the options; with <paramref name="measurement"/> false the measurement settings keep their defaults (the caller sets them).</summary>
    public CalibrationOptions Read(ParseResult parse, bool measurement = true)
    {
        var options = new CalibrationOptions
        {
            Samples = Positive(parse.GetValue(Samples), "--samples"),
            Tokens = Positive(parse.GetValue(Tokens), "--tokens"),
            Seed = parse.GetValue(Seed),
        };
        return measurement
            ? options with
            {
                Entropy = new EntropyOptions(Positive(parse.GetValue(K), "--k"), parse.GetValue(Elbow)),
                Matrix = parse.GetValue(Matrix)!,
                PostRope = !parse.GetValue(PreRope),
            }
            : options;
    }

    /// <summary>The model's tokenizer.json as a codec, or null when the folder has none (JSONL "ids" still work).</summary>
    public static ITokenCodec? TryLoadCodec(string modelDirectory)
    {
        string path = Path.Combine(modelDirectory, "tokenizer.json");
        return File.Exists(path) ? new TokenizerCodec(UNComp.Runtime.Tokenization.Tokenizer.FromFile(path)) : null;
    }

    /// <summary>Runs the measurement with a progress bar (samples, ETA) on stderr when it is a terminal.</summary>
    public static EntropyMeasurements MeasureWithProgress(Calibrator calibrator, IReadOnlyList<int[]> samples, TextWriter output, CancellationToken cancellationToken)
    {
        if (Console.IsErrorRedirected)
        {
            int lastReported = -1;
            return calibrator.Measure(samples, new InlineProgress(p =>
            {
                int percent = (int)(p.Fraction * 10);
                if (percent != lastReported && p.LayersDone > 0)
                {
                    lastReported = percent;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"calibrating: {p.Fraction:P0} ({p.SamplesDone}/{p.SamplesTotal} samples), elapsed {p.Elapsed:mm\\:ss}, ETA {(p.Remaining ?? TimeSpan.Zero):mm\\:ss}"));
                }
            }), cancellationToken);
        }

        EntropyMeasurements? result = null;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"calibrating {samples.Count} samples", maxValue: 1.0);
                result = calibrator.Measure(samples, new InlineProgress(p => task.Value = p.Fraction), cancellationToken);
            });
        return result!;
    }

    /// <summary>A C# identifier from a folder name: letters and digits kept, words capitalised.</summary>
    public static string IdentifierFrom(string text)
    {
        var parts = text.Split(['-', '_', '.', ' '], StringSplitOptions.RemoveEmptyEntries)
            .Select(p => new string(p.Where(char.IsLetterOrDigit).ToArray()))
            .Where(p => p.Length > 0)
            .Select(p => char.ToUpperInvariant(p[0]) + p[1..]);
        string id = string.Concat(parts);
        return id.Length == 0 ? "Model" : char.IsDigit(id[0]) ? "M" + id : id;
    }

    private static int Positive(int value, string name) => value >= 1 ? value : throw new ArgumentException($"{name} must be ≥ 1, got {value}.");

    private sealed class TokenizerCodec(UNComp.Runtime.Tokenization.Tokenizer tokenizer) : ITokenCodec
    {
        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens) => tokenizer.EncodeToIds(text, addSpecialTokens);

        public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens) => tokenizer.Decode(ids, skipSpecialTokens);
    }

    private sealed class InlineProgress(Action<CalibrationProgress> report) : IProgress<CalibrationProgress>
    {
        public void Report(CalibrationProgress value) => report(value);
    }
}
