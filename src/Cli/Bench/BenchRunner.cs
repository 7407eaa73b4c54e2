using System.Diagnostics;
using UNComp.Runtime.Compute;
using UNComp.Runtime.Evaluation;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Cli.Bench;

/// <summary>One grid point of <c>uncomp bench</c> on the CPU engine.</summary>
internal sealed record BenchPoint(int Threads, string Method, double? MeanBudget, int PromptTokens);

/// <summary>
/// Measures grid points: warm-up runs (discarded: they also let the JIT reach its optimized code), then timed runs,
/// each a fresh generator: prefill of the prompt, then greedy decode of the new tokens with eos ignored.
/// </summary>
internal sealed class BenchRunner(LlamaModel model, int newTokens, int warmupRuns, int runs, int seed, UncompProfile? profile, TextWriter notes)
{
    private readonly HashSet<string> _notesShown = [];

    public BenchResult Measure(BenchPoint point, CancellationToken cancellationToken)
    {
        int[] prompt = BenchPrompt.Ids(point.PromptTokens, model.Config.VocabSize, seed);
        var backend = point.Threads > 0 ? new CpuBackend(point.Threads) : CpuBackend.Shared;
        // The CLI's context policy: a prompt past the model's context is refused, new tokens past it are capped.
        var limits = Commands.ContextLimits.For(model.Config, model.Directory, prompt, null, newTokens, "--new");
        if (limits.Note is { } note && _notesShown.Add(note))
        {
            notes.WriteLine(note);
        }

        int maxLength = limits.MaxLength;
        var prefill = new List<double>();
        var prefillCpu = new List<double>();
        var decode = new List<double>();
        var decodeCpu = new List<double>();
        long kvAllocated = 0, kvInUse = 0, decodeAllocated = 0;
        int decodedTokens = 0, generatedTokens = 0;
        using var process = Process.GetCurrentProcess();
        for (int run = 0; run < warmupRuns + runs; run++)
        {
            var setup = EvalMethods.Create(point.Method, model.Config, point.MeanBudget ?? maxLength, point.PromptTokens, maxLength, profile);
            var p = new GeneratorParams
            {
                MaxNewTokens = newTokens, MaxLength = maxLength, EosTokenIds = [], Backend = backend,
                CacheLayout = setup.Plan.ToLayout(), Hooks = setup.Hooks,
            };
            using var generator = new Generator(model, p);
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            generator.AppendTokens(prompt, null, cancellationToken);
            process.Refresh();
            var cpu1 = process.TotalProcessorTime;
            long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
            while (!generator.IsDone && newTokens > 0)
            {
                generator.GenerateNextToken(cancellationToken);
            }

            long allocated1 = GC.GetTotalAllocatedBytes(precise: true);
            process.Refresh();
            var cpu2 = process.TotalProcessorTime;
            if (run < warmupRuns)
            {
                continue;
            }

            var s = generator.Stats;
            prefill.Add(s.PrefillTime.TotalSeconds);
            prefillCpu.Add((cpu1 - cpu0).TotalSeconds);
            decode.Add(s.DecodeTime.TotalSeconds);
            decodeCpu.Add((cpu2 - cpu1).TotalSeconds);
            decodedTokens = s.DecodedTokens;
            generatedTokens = s.GeneratedTokens;
            kvAllocated = s.KvBytesAllocated;
            kvInUse = s.KvBytesInUse;
            decodeAllocated = Math.Max(decodeAllocated, allocated1 - allocated0);
        }

        process.Refresh();
        return new BenchResult
        {
            Device = "cpu",
            Engine = "uncomp",
            Threads = point.Threads > 0 ? point.Threads : backend.MaxDegreeOfParallelism > 0 ? backend.MaxDegreeOfParallelism : Environment.ProcessorCount,
            Method = point.Method,
            MeanBudget = point.MeanBudget,
            PromptTokens = point.PromptTokens,
            Batch = 1,
            PromptIdsSha256 = BenchPrompt.Sha256(prompt),
            Prefill = BenchPhase.From(point.PromptTokens, prefill, prefillCpu),
            Decode = BenchPhase.From(decodedTokens, decode, decodeCpu),
            GeneratedTokens = generatedTokens,
            KvBytesAllocated = kvAllocated,
            KvBytesInUse = kvInUse,
            DecodeAllocatedBytes = decodeAllocated,
            PeakWorkingSetBytes = process.PeakWorkingSet64,
        };
    }
}
