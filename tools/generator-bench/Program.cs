using System.Diagnostics;
using System.Globalization;
using GeneratorBench;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Compute;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

// Prefill and decode throughput of the compiled class against UncompCompression.FromProfile on the same model and
// profile. Both run the same engine; this measures what the generated code adds or saves. Threads: UNCOMP_THREADS.
string root = RepositoryRoot();
string modelDirectory = args.Length > 0 ? args[0] : Path.Combine(root, "models", "fixture-llama");
int promptTokens = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1024;
int newTokens = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 64;
int rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;
int maxTokens = promptTokens + newTokens + 1;
int[] prompt = Enumerable.Range(0, promptTokens).Select(i => 3 + ((i * 37) % (CompiledModel.VocabSize - 3))).ToArray();

using CompiledModel compiled = CompiledModel.Load(modelDirectory, maxTokens);
using LlamaModel model = LlamaModel.Load(modelDirectory);
UncompProfile profile = ProfileLoader.Load(Path.Combine(root, "profiles", "fixture-llama.uncomp.json"));
CompressionSetup setup = UncompCompression.FromProfile(profile, model.Config);
var engine = new InferenceEngine(model, Math.Max(maxTokens, setup.Plan.ToLayout().MaxCapacity));
using KvCache cache = InferenceEngine.CreateCache(setup.Plan.ToLayout(), setup.Hooks);
var logits = new float[CompiledModel.VocabSize];

var compiledRuns = new List<(double Prefill, double Decode)>();
var interpretedRuns = new List<(double Prefill, double Decode)>();
Console.WriteLine($"model {modelDirectory}, prompt {promptTokens} tokens, {newTokens} new, {rounds} rounds (+1 warm-up), threads {CpuBackend.Shared.MaxDegreeOfParallelism}");
for (int round = 0; round <= rounds; round++)
{
    // Alternate which path goes first, so slow drift of a shared machine hits both alike.
    bool compiledFirst = round % 2 == 0;
    for (int pass = 0; pass < 2; pass++)
    {
        bool useCompiled = (pass == 0) == compiledFirst;
        var result = useCompiled
            ? Measure(() => compiled.Prefill(prompt, logits), () => compiled.Decode(ArgMax(logits), logits))
            : Measure(() => engine.Prefill(prompt, cache, setup.Hooks, logits), () => engine.Decode(ArgMax(logits), cache, setup.Hooks, logits));
        if (round > 0)
        {
            (useCompiled ? compiledRuns : interpretedRuns).Add(result);
        }
    }
}

Report("compiled (CompiledModel)", compiledRuns);
Report("FromProfile (runtime)", interpretedRuns);
return 0;

(double Prefill, double Decode) Measure(Action prefill, Action decode)
{
    var clock = Stopwatch.StartNew();
    prefill();
    double prefillSeconds = clock.Elapsed.TotalSeconds;
    clock.Restart();
    for (int i = 0; i < newTokens; i++)
    {
        decode();
    }

    return (promptTokens / prefillSeconds, newTokens / clock.Elapsed.TotalSeconds);
}

void Report(string label, List<(double Prefill, double Decode)> runs)
{
    double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{label,-26} prefill {Median(runs.Select(r => r.Prefill)),8:F0} tok/s (min {runs.Min(r => r.Prefill):F0}, max {runs.Max(r => r.Prefill):F0})   decode {Median(runs.Select(r => r.Decode)),6:F0} tok/s (min {runs.Min(r => r.Decode):F0}, max {runs.Max(r => r.Decode):F0})"));
}

static int ArgMax(float[] values)
{
    int best = 0;
    for (int i = 1; i < values.Length; i++)
    {
        if (values[i] > values[best])
        {
            best = i;
        }
    }

    return best;
}

static string RepositoryRoot()
{
    for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
    {
        if (File.Exists(Path.Combine(dir, "UNComp.Compiler.sln")))
        {
            return dir;
        }
    }

    return Directory.GetCurrentDirectory();
}
