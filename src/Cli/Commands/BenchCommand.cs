using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using UNComp.Cli.Bench;
using UNComp.Runtime.Evaluation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Cli.Commands;

/// <summary>
/// <c>uncomp bench</c>: prefill and decode throughput over a grid of threads × methods × prompt lengths, with warm-up
/// runs, repeated timed runs (min and median), and an optional JSON report naming the machine, versions and command.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (HF layout).", Required = true };
        var promptTokens = new Option<string>("--prompt-tokens") { Description = "Prompt length(s) in tokens, comma list (CUDA: several make a context sweep, one JSON row per length).", DefaultValueFactory = _ => "512" };
        var newTokens = new Option<int>("--new") { Description = "Tokens to generate per run (the first comes from the prefill, so new − 1 decode steps are timed).", DefaultValueFactory = _ => 64 };
        var seed = new Option<int>("--seed") { Description = "Seed of the prompt ids (SplitMix64, see tools/bench/cpu_peer.py).", DefaultValueFactory = _ => 1 };
        var threads = new Option<string>("--threads") { Description = "CPU thread count(s), comma list; 0 = all cores.", DefaultValueFactory = _ => "0" };
        var methods = new Option<string>("--methods") { Description = "Comma list of: " + string.Join(", ", EvalMethods.All) + ".", DefaultValueFactory = _ => "full" };
        var budget = new Option<double>("--budget") { Description = "Mean KV budget in tokens per cache unit for compressed methods.", DefaultValueFactory = _ => 128 };
        var profile = new Option<string?>("--profile") { Description = "Calibrated profile for the uncomp methods." };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs per grid point before the timed ones.", DefaultValueFactory = _ => 1 };
        var runs = new Option<int>("--runs") { Description = "Timed runs per grid point (min and median are reported).", DefaultValueFactory = _ => 3 };
        var json = new Option<string?>("--json") { Description = "Write the full report (machine, versions, command, every run) to this JSON file." };
        var device = CliSupport.DeviceOption();
        var budgetPercent = new Option<double>("--budget-percent") { Description = "CUDA: also measure a compressed two-group layout with this mean KV budget (% of the prompt); 0 = off.", DefaultValueFactory = _ => 0 };
        var noSweep = new Option<bool>("--no-sweep") { Description = "CUDA: skip the batch-size sweep; the KV arena then holds one sequence (batch-1 memory figures)." };
        var budgetOnly = new Option<bool>("--budget-only") { Description = "CUDA: measure only the compressed layout of --budget-percent, not the full cache (a quicker check of compressed decode)." };
        var decodeChunks = new Option<string?>("--decode-chunks") { Description = "CUDA: also time batch-1 decode with these smallest decode-attention chunks in tokens (comma list, e.g. 512,1024,2048; fewer, longer blocks per cache unit)." };
        var captureSteps = new Option<int>("--capture-steps") { Description = "CUDA: after each layout's headline batch-1 timing, run this many more steps inside a profiler capture range (cuProfilerStart/Stop), for `ncu --profile-from-start off` or `nsys --capture-range=cudaProfilerApi`; 0 = none." };
        var command = new Command("bench", "Measure prefill and decode tokens/s (greedy, eos ignored): on the CPU over threads × methods × prompt lengths, or on CUDA with bandwidth bound, per-kernel times and a batch sweep.")
        {
            model, promptTokens, newTokens, seed, threads, methods, budget, profile, warmup, runs, json, device, budgetPercent, noSweep, decodeChunks, budgetOnly, captureSteps,
        };
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CliSupport.Run(parseResult, output =>
        {
            int[] lengths = Integers(parseResult.GetValue(promptTokens)!, "--prompt-tokens", 1);
            int[] threadCounts = Integers(parseResult.GetValue(threads)!, "--threads", 0);
            string[] methodNames = parseResult.GetValue(methods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            int[] chunkList = parseResult.GetValue(decodeChunks) is { } chunks ? Integers(chunks, "--decode-chunks", 32) : [];
            int m = parseResult.GetValue(newTokens), w = parseResult.GetValue(warmup), r = parseResult.GetValue(runs);
            if (m < 1 || w < 0 || r < 1)
            {
                throw new ArgumentException("--new must be ≥ 1, --warmup ≥ 0 and --runs ≥ 1.");
            }

            foreach (string name in methodNames)
            {
                if (!EvalMethods.All.Contains(name))
                {
                    throw new ArgumentException($"--methods: unknown method '{name}'; use one of: {string.Join(", ", EvalMethods.All)}.");
                }
            }

            if (CliSupport.ResolveDevice(parseResult.GetValue(device), parseResult.InvocationConfiguration.Error) == "cuda")
            {
                return GpuBench.Run(new GpuBench.Settings(parseResult.GetValue(model)!, lengths[0], m, parseResult.GetValue(seed), parseResult.GetValue(budgetPercent),
                    parseResult.GetValue(json), "uncomp " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)), !parseResult.GetValue(noSweep))
                {
                    Contexts = lengths.Length > 1 ? lengths : null,
                    DecodeChunks = chunkList,
                    BudgetOnly = parseResult.GetValue(budgetOnly),
                    CaptureSteps = parseResult.GetValue(captureSteps),
                }, output, cancellationToken);
            }

            UncompProfile? uncompProfile = null;
            if (methodNames.Any(EvalMethods.NeedsProfile))
            {
                string path = parseResult.GetValue(profile) ?? throw new ArgumentException("the uncomp methods need --profile FILE (uncomp calibrate writes one).");
                try
                {
                    uncompProfile = ProfileLoader.Load(path);
                }
                catch (ProfileLoadException e)
                {
                    throw new ArgumentException(e.Message, e);
                }
            }

            var started = DateTimeOffset.UtcNow;
            using var llama = LlamaModel.Load(parseResult.GetValue(model)!, cancellationToken);
            var runner = new BenchRunner(llama, m, w, r, parseResult.GetValue(seed), uncompProfile, parseResult.InvocationConfiguration.Error);
            var c = CultureInfo.InvariantCulture;
            output.WriteLine(string.Create(c, $"model {Path.GetFileName(llama.Directory)} ({llama.Config.Architecture}, {llama.Config.NumLayers} layers, hidden {llama.Config.HiddenSize}) on {BenchEnvironment.CpuModel()}, {Environment.ProcessorCount} logical cores, kernels {Runtime.Compute.CpuBackend.KernelIsa}; {w} warm-up + {r} timed runs per row"));
            output.WriteLine("threads | method | prompt | prefill tok/s best (median) | decode tok/s best (median) | CPU s prefill / decode (best) | KV in use | generated");
            var results = new List<BenchResult>();
            foreach (int t in threadCounts)
            {
                foreach (string method in methodNames)
                {
                    foreach (int n in lengths)
                    {
                        var result = runner.Measure(new BenchPoint(t, method, method == "full" ? null : parseResult.GetValue(budget), n), cancellationToken);
                        results.Add(result);
                        output.WriteLine(string.Create(c,
                            $"{result.Threads,7} | {method} | {n} | {result.Prefill.TokensPerSecondBest:F0} ({result.Prefill.TokensPerSecondMedian:F0}) | {result.Decode.TokensPerSecondBest:F1} ({result.Decode.TokensPerSecondMedian:F1}) | {result.Prefill.CpuSeconds!.Min():F3} / {result.Decode.CpuSeconds!.Min():F3} | {CliSupport.Bytes(result.KvBytesInUse)} | generated {result.GeneratedTokens}"));
                    }
                }
            }

            if (parseResult.GetValue(json) is { } jsonPath)
            {
                var report = new BenchReport
                {
                    Command = string.Join(' ', Environment.GetCommandLineArgs().Length > 0 ? ["uncomp", .. parseResult.Tokens.Select(tk => tk.Value)] : (string[])["uncomp bench"]),
                    StartedUtc = started,
                    Machine = BenchEnvironment.Machine(),
                    Versions = BenchEnvironment.Versions(),
                    Model = new BenchModel
                    {
                        Name = Path.GetFileName(llama.Directory),
                        Architecture = llama.Config.Architecture,
                        Layers = llama.Config.NumLayers,
                        HiddenSize = llama.Config.HiddenSize,
                        Parameters = llama.Tensors.Sum(tk => tk.ElementCount),
                        WeightBytes = llama.WeightBytes,
                    },
                    Settings = new BenchSettings { NewTokens = m, WarmupRuns = w, Runs = r, Seed = parseResult.GetValue(seed), Prompt = BenchPrompt.Description },
                    Results = results,
                };
                string? dir = Path.GetDirectoryName(Path.GetFullPath(jsonPath));
                if (dir is not null)
                {
                    Directory.CreateDirectory(dir);
                }

                File.WriteAllText(jsonPath, JsonSerializer.Serialize(report, BenchJsonContext.Readable.BenchReport));
                output.WriteLine("report: " + jsonPath);
            }

            return 0;
        })));
        return command;
    }

    private static int[] Integers(string text, string option, int min)
    {
        var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min
                ? v
                : throw new ArgumentException($"{option}: '{s}' is not an integer ≥ {min}; pass a comma list such as 256,1024."))
            .ToArray();
        return values.Length > 0 ? values : throw new ArgumentException($"{option} needs at least one value.");
    }
}
