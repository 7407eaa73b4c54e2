using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Evaluation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Cli.Commands;

/// <summary>
/// <c>uncomp eval --model DIR --profile FILE [--methods … --budgets … --lengths … --depths … --out DIR]</c>:
/// passkey, needle-in-a-haystack, multi-key, free-text needle and RULER-style tasks under every method × mean
/// budget; writes results.json (accuracy with 95 % Wilson intervals), results.md, heat maps and an accuracy-vs-budget plot.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (HF layout with tokenizer.json).", Required = true };
        var profile = new Option<string?>("--profile") { Description = "Calibrated profile for the uncomp methods (uncomp calibrate writes one)." };
        var output = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "docs/results" };
        var tasks = new Option<string>("--tasks") { Description = "Comma list: passkey, needle, multikey, textneedle, multivalue, multiquery, vartrack, commonwords.", DefaultValueFactory = _ => "passkey,needle,multikey" };
        var methods = new Option<string>("--methods") { Description = "Comma list of: " + string.Join(", ", CompressionMethods.Names) + " (docs/compression.md).", DefaultValueFactory = _ => string.Join(',', CompressionMethods.Compared) };
        var budgets = new Option<string>("--budgets") { Description = "Mean budgets as % of the context, comma list.", DefaultValueFactory = _ => "2,5,10,25" };
        var lengths = new Option<string>("--lengths") { Description = "Needle context lengths in tokens; passkey and multi-key use the largest.", DefaultValueFactory = _ => "512,1024,2048" };
        var depths = new Option<string>("--depths") { Description = "Needle depths in %, comma list.", DefaultValueFactory = _ => "0,25,50,75,100" };
        var needleSamples = new Option<int>("--needle-samples") { Description = "Needle prompts per (length, depth) cell.", DefaultValueFactory = _ => 1 };
        var passkeySamples = new Option<int>("--passkey-samples") { Description = "Passkey prompts.", DefaultValueFactory = _ => 10 };
        var multiKeySamples = new Option<int>("--multikey-samples") { Description = "Multi-key prompts.", DefaultValueFactory = _ => 10 };
        var maxNew = new Option<int>("--max-new") { Description = "Greedy answer tokens at most.", DefaultValueFactory = _ => 12 };
        var seed = new Option<int>("--seed") { Description = "Seed of the prompts.", DefaultValueFactory = _ => 2024 };
        var haystack = new Option<string?>("--haystack") { Description = "Haystack text (default: <model>/haystack.txt)." };
        var templates = new Option<string?>("--templates") { Description = "JSON file overriding the prompt templates (see docs/compression.md)." };
        var sampleLengths = new Option<string?>("--sample-lengths") { Description = "Lengths of the passkey, multi-key and RULER-style prompts (comma list; default: the largest --lengths)." };
        var rulerSamples = new Option<int>("--ruler-samples") { Description = "Prompts per length of each RULER-style task.", DefaultValueFactory = _ => 10 };
        var parallel = new Option<int>("--parallel") { Description = "Prompts evaluated at once, each single-threaded (default 1: one prompt on all cores).", DefaultValueFactory = _ => 1 };
        var fidelity = new Option<bool>("--fidelity") { Description = "Also measure teacher-forced KL(full || compressed) and the rank of each reference answer token." };
        var diagnose = new Option<string?>("--diagnose") { Description = "Instead of the grid: 'layers' compresses one layer at a time, 'heads' also one cache unit at a time; reports accuracy and where kept tokens lie relative to the answer (diagnosis.json, diagnosis.md)." };
        var recordKept = new Option<bool>("--record-kept") { Description = "Write prompt ids and every cache unit's kept positions into results.json (input of tools/crosscheck)." };
        var device = CliSupport.DeviceOption();
        var command = new Command("eval", "Retrieval accuracy (passkey, needle, multi-key) of UNComp and baselines across KV budgets.")
        {
            model, profile, output, tasks, methods, budgets, lengths, depths, needleSamples, passkeySamples, multiKeySamples, maxNew, seed, haystack, templates,
            sampleLengths, rulerSamples, parallel, fidelity, recordKept, diagnose, device,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(CliSupport.Run(parse, stdout =>
        {
            string dir = parse.GetValue(model)!;
            var options = new EvalOptions
            {
                Tasks = [.. List(parse.GetValue(tasks)!, "--tasks").Select(ParseTask)],
                Methods = List(parse.GetValue(methods)!, "--methods"),
                Budgets = [.. Numbers(parse.GetValue(budgets)!, "--budgets").Select(b => b / 100)],
                ContextLengths = [.. Numbers(parse.GetValue(lengths)!, "--lengths").Select(l => (int)l)],
                Depths = [.. Numbers(parse.GetValue(depths)!, "--depths").Select(d => d / 100)],
                NeedleSamplesPerCell = parse.GetValue(needleSamples),
                PasskeySamples = parse.GetValue(passkeySamples),
                MultiKeySamples = parse.GetValue(multiKeySamples),
                MaxNewTokens = parse.GetValue(maxNew),
                Seed = parse.GetValue(seed),
                Templates = parse.GetValue(templates) is string t ? LoadTemplates(t) : TaskTemplates.Default,
                SampleLengths = parse.GetValue(sampleLengths) is string sl ? [.. Numbers(sl, "--sample-lengths").Select(l => (int)l)] : [],
                RulerSamples = parse.GetValue(rulerSamples),
                Parallelism = parse.GetValue(parallel) is int workers and >= 1 ? workers : throw new ArgumentException("--parallel: give 1 or more prompts at once."),
                Fidelity = parse.GetValue(fidelity),
                RecordKeptPositions = parse.GetValue(recordKept),
            };
            string hayPath = parse.GetValue(haystack) ?? Path.Combine(dir, "haystack.txt");
            if (!File.Exists(hayPath))
            {
                throw new IOException($"{hayPath}: not found; pass --haystack FILE with plain text for the needle and multi-key prompts.");
            }

            UncompProfile? uncompProfile = null;
            if (options.Methods.Any(EvalMethods.NeedsProfile))
            {
                string p = parse.GetValue(profile) ?? throw new ArgumentException("the uncomp methods need --profile FILE; create one with: uncomp calibrate --model " + dir + " --data " + Path.Combine(dir, "calibration.txt"));
                uncompProfile = ProfileLoader.Load(p);
            }

            bool cuda = CliSupport.ResolveDevice(parse.GetValue(device), parse.InvocationConfiguration.Error) == "cuda";
            using var llama = LlamaModel.Load(dir, cancellationToken);
            var codec = TokenCodecs.Load(dir);
            using var gpu = cuda ? UNComp.Runtime.Cuda.CudaDevice.Open() : null;
            using var gpuModel = gpu is null ? null : UNComp.Runtime.Gpu.CudaModel.Load(gpu, dir, cancellationToken: cancellationToken);
            var runner = new EvalRunner(llama, codec, File.ReadAllText(hayPath), options, uncompProfile) { GpuModel = gpuModel };
            string commandLine = "uncomp " + string.Join(' ', parse.Tokens.Select(x => x.Value.Contains(' ', StringComparison.Ordinal) ? $"\"{x.Value}\"" : x.Value));
            if (parse.GetValue(diagnose) is string mode)
            {
                bool perUnit = mode switch
                {
                    "layers" => false,
                    "heads" => true,
                    _ => throw new ArgumentException($"--diagnose: '{mode}' is not a mode; use layers or heads."),
                };
                var diagnosis = RunWithProgress(p => new SelectionDiagnosis(llama, codec, runner, uncompProfile).Run(perUnit, p, cancellationToken), parse.InvocationConfiguration.Error);
                var files = DiagnosisReportWriter.WriteAll(diagnosis, parse.GetValue(output)!, commandLine);
                stdout.Write(DiagnosisReportWriter.ToMarkdown(diagnosis, commandLine));
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {files.Count} files to {parse.GetValue(output)} in {diagnosis.Seconds:0} s."));
                return 0;
            }

            var report = RunWithProgress(p => runner.Run(p, cancellationToken), parse.InvocationConfiguration.Error);
            var written = EvalReportWriter.WriteAll(report, parse.GetValue(output)!, commandLine);
            stdout.Write(EvalReportWriter.ToMarkdown(report, commandLine));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {written.Count} files to {parse.GetValue(output)} in {report.Seconds:0} s."));
            return 0;
        })));
        return command;
    }

    private static T RunWithProgress<T>(Func<IProgress<EvalProgress>, T> run, TextWriter error)
    {
        if (Console.IsErrorRedirected)
        {
            int lastPercent = -1;
            return run(new SyncProgress(p =>
            {
                int percent = p.RunsTotal == 0 ? 100 : p.RunsDone * 100 / p.RunsTotal;
                if (percent / 5 != lastPercent / 5)
                {
                    lastPercent = percent;
                    error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"eval {p.RunsDone}/{p.RunsTotal} ({percent}%) {p.Current}"));
                }
            }));
        }

        T? result = default;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("eval", maxValue: 1);
                result = run(new SyncProgress(p =>
                {
                    task.MaxValue = Math.Max(1, p.RunsTotal);
                    task.Value = p.RunsDone;
                    task.Description = Markup.Escape(p.Current);
                }));
            });
        return result!;
    }

    private static TaskTemplates LoadTemplates(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), EvalJsonContext.Default.TaskTemplates)
                ?? throw new FormatException($"{path}: the templates document is null; write a JSON object with template fields (docs/compression.md).");
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: invalid templates JSON at {e.Path}: {e.Message}", e);
        }
    }

    private static string[] List(string text, string option)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return items.Length > 0 ? items : throw new ArgumentException($"{option}: give at least one value.");
    }

    private static double[] Numbers(string text, string option) =>
        [.. List(text, option).Select(s => double.TryParse(s.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0
            ? v
            : throw new FormatException($"{option}: '{s}' is not a non-negative number."))];

    private static UNComp.Runtime.Evaluation.EvalTask ParseTask(string s) => EvalRunner.ParseTask(s)
        ?? throw new ArgumentException($"--tasks: unknown task '{s}'; use {TaskNames}.");

    private static string TaskNames => string.Join(", ", Enum.GetValues<UNComp.Runtime.Evaluation.EvalTask>().Select(EvalRunner.Name));

    /// <summary>Reports synchronously on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<EvalProgress> report) : IProgress<EvalProgress>
    {
        public void Report(EvalProgress value) => report(value);
    }
}
