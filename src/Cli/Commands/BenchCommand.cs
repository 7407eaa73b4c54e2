using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;

namespace UNComp.Cli.Commands;

/// <summary><c>uncomp bench</c>: CPU prefill and decode throughput on seeded random token ids (no tokenizer needed).</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (HF layout).", Required = true };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length in tokens.", DefaultValueFactory = _ => 512 };
        var newTokens = new Option<int>("--new") { Description = "Tokens to decode.", DefaultValueFactory = _ => 64 };
        var seed = new Option<int>("--seed") { Description = "Seed of the random prompt.", DefaultValueFactory = _ => 1 };
        var threads = CliSupport.ThreadsOption();
        var device = CliSupport.DeviceOption();
        var budget = new Option<double>("--budget-percent") { Description = "CUDA: also measure a compressed two-group layout with this mean KV budget (% of the prompt); 0 = off.", DefaultValueFactory = _ => 0 };
        var json = new Option<string?>("--json") { Description = "CUDA: write the results as JSON to this file." };
        var noSweep = new Option<bool>("--no-sweep") { Description = "CUDA: skip the batch-size sweep." };
        var command = new Command("bench", "Measure prefill and decode tokens/s (greedy, eos ignored): CPU, or CUDA with bandwidth bound, per-kernel times and a batch sweep.")
        {
            model, promptTokens, newTokens, seed, threads, device, budget, json, noSweep,
        };
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CliSupport.Run(parseResult, output =>
        {
            int n = parseResult.GetValue(promptTokens);
            int m = parseResult.GetValue(newTokens);
            if (n < 1 || m < 0)
            {
                throw new ArgumentException("--prompt-tokens must be ≥ 1 and --new ≥ 0.");
            }

            if (CliSupport.ResolveDevice(parseResult.GetValue(device), parseResult.InvocationConfiguration.Error) == "cuda")
            {
                return GpuBench.Run(new GpuBench.Settings(parseResult.GetValue(model)!, n, m, parseResult.GetValue(seed), parseResult.GetValue(budget),
                    parseResult.GetValue(json), "uncomp " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)), !parseResult.GetValue(noSweep)), output, cancellationToken);
            }

            var load = Stopwatch.StartNew();
            using var llama = LlamaModel.Load(parseResult.GetValue(model)!, cancellationToken);
            load.Stop();
#pragma warning disable CA5394 // A reproducible benchmark prompt, not security.
            var rng = new Random(parseResult.GetValue(seed));
            int[] prompt = Enumerable.Range(0, n).Select(_ => rng.Next(llama.Config.VocabSize)).ToArray();
#pragma warning restore CA5394
            var limits = ContextLimits.For(llama.Config, llama.Directory, prompt, null, m, "--new");
            if (limits.Note is { } note)
            {
                parseResult.InvocationConfiguration.Error.WriteLine(note);
            }

            var p = new GeneratorParams { MaxNewTokens = m, MaxLength = limits.MaxLength, EosTokenIds = [], Backend = CliSupport.Backend(parseResult.GetValue(threads)) };
            using var generator = new Generator(llama, p);
            // CPU time next to wall time: on a shared machine wall-clock tok/s mostly measures the neighbours.
            using var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            CliSupport.WithPrefillProgress(llama.Config.NumLayers, n, progress => generator.AppendTokens(prompt, progress, cancellationToken));
            process.Refresh();
            var cpu1 = process.TotalProcessorTime;
            while (!generator.IsDone && m > 0)
            {
                generator.GenerateNextToken(cancellationToken);
            }

            process.Refresh();
            var cpu2 = process.TotalProcessorTime;

            var s = generator.Stats;
            var c = CultureInfo.InvariantCulture;
            output.WriteLine(string.Create(c, $"model {Path.GetFileName(Path.GetFullPath(llama.Directory))} ({llama.Config.Architecture}, {llama.Config.NumLayers} layers, hidden {llama.Config.HiddenSize}), {(parseResult.GetValue(threads) > 0 ? parseResult.GetValue(threads) : Environment.ProcessorCount)} of {Environment.ProcessorCount} cores, loaded in {load.Elapsed.TotalSeconds:F2} s"));
            double prefillCpu = (cpu1 - cpu0).TotalSeconds, decodeCpu = (cpu2 - cpu1).TotalSeconds;
            output.WriteLine(string.Create(c, $"prefill: {s.PromptTokens} tokens in {s.PrefillTime.TotalSeconds:F3} s = {s.PrefillTokensPerSecond:F1} tok/s (CPU time {prefillCpu:F3} s)"));
            output.WriteLine(string.Create(c, $"decode:  {s.DecodedTokens} tokens in {s.DecodeTime.TotalSeconds:F3} s = {s.DecodeTokensPerSecond:F1} tok/s (CPU time {decodeCpu:F3} s)"));
            output.WriteLine(CliSupport.Summary(s));
            return 0;
        })));
        return command;
    }
}
