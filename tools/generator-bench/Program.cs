using System.Diagnostics;
using System.Globalization;
using GeneratorBench;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Compute;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

// Prefill and decode speed of the compiled class against UncompCompression.FromProfile on the same model and
// profile (docs/generator.md, "Specialisation: what pays"). Threads: UNCOMP_THREADS.
//   prefill: whole prompts, alternating the two paths (order reversed every other round);
//   decode:  one step at a time, alternating the arms, each step timed on its own, so that a shared machine's drift
//            hits both alike.
// Arguments: [model-dir] [prompt-tokens] [decode steps per path] [prefill rounds].
string root = RepositoryRoot();
string modelDirectory = args.Length > 0 ? args[0] : Path.Combine(root, "models", "fixture-llama");
int promptTokens = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1024;
int steps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000;
int rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 9;
int maxTokens = promptTokens + steps + 1;
int[] prompt = Enumerable.Range(0, promptTokens).Select(i => 3 + ((i * 37) % (CompiledModel.VocabSize - 3))).ToArray();

using CompiledModel compiled = CompiledModel.Load(modelDirectory, maxTokens);
// The runtime path gets the compiled class's weights: with a second copy, the arms that follow each other on the
// same copy found it in the CPU caches and decoded up to 25 % faster, an artefact of the bench, not of compiling.
LlamaModel model = compiled.Model;
UncompProfile profile = ProfileLoader.Load(Path.Combine(root, "profiles", "fixture-llama.uncomp.json"));
CompressionSetup setup = UncompCompression.FromProfile(profile, model.Config);
var engine = new InferenceEngine(model, Math.Max(maxTokens, setup.Plan.ToLayout().MaxCapacity));
using KvCache cache = InferenceEngine.CreateCache(setup.Plan.ToLayout(), setup.Hooks);
var compiledLogits = new float[CompiledModel.VocabSize];
var runtimeLogits = new float[CompiledModel.VocabSize];
Console.WriteLine($"model {modelDirectory}, prompt {promptTokens} tokens, {steps} decode steps per path, {rounds} prefill rounds (+1 warm-up), threads {CpuBackend.Shared.MaxDegreeOfParallelism}");

var compiledPrefill = new List<double>();
var runtimePrefill = new List<double>();
for (int round = 0; round <= rounds; round++)
{
    for (int pass = 0; pass < 2; pass++)
    {
        bool useCompiled = (pass == 0) == (round % 2 == 0);
        var clock = Stopwatch.StartNew();
        if (useCompiled)
        {
            compiled.Prefill(prompt, compiledLogits);
        }
        else
        {
            engine.Prefill(prompt, cache, setup.Hooks, runtimeLogits);
        }

        if (round > 0)
        {
            (useCompiled ? compiledPrefill : runtimePrefill).Add(promptTokens / clock.Elapsed.TotalSeconds);
        }
    }
}

Report("prefill, compiled", compiledPrefill);
Report("prefill, FromProfile", runtimePrefill);

// Both caches hold the prompt now; decode steps continue from there.
var decodeArms = DecodeArms();
var stepTimes = decodeArms.Select(_ => new List<double>()).ToArray();
for (int step = 0; step < steps; step++)
{
    for (int pass = 0; pass < decodeArms.Length; pass++)
    {
        int arm = (step + pass) % decodeArms.Length;
        var clock = Stopwatch.StartNew();
        decodeArms[arm].Step();
        stepTimes[arm].Add(1 / clock.Elapsed.TotalSeconds);
    }
}

for (int arm = 0; arm < decodeArms.Length; arm++)
{
    Report("decode, " + decodeArms[arm].Label, stepTimes[arm]);
}

// The part of a decode step that specialising to the profile's shape could speed up: the decode attention calls
// of one step (every layer and unit at its budget), timed alone. Compare with the decode step time above.
double attention = DecodeAttentionMicroseconds();
double stepMicroseconds = 1e6 / Median(stepTimes[0]);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"decode attention of one step ({CompiledModel.TotalUnits} calls at the budgets): median {attention:F1} us = {100 * attention / stepMicroseconds:F1} % of the compiled decode step's median {stepMicroseconds:F0} us"));
return 0;

double DecodeAttentionMicroseconds()
{
    int d = CompiledModel.HeadDim, heads = CompiledModel.QueryHeadsPerUnit, maxBudget = CompiledModel.MaxBudget;
    var random = new Random(1);
    float[] Random(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f)];
    float[] q = Random(heads * d), keys = Random(maxBudget * d), values = Random(maxBudget * d), newKey = Random(d), newValue = Random(d);
    var probs = new float[heads * (maxBudget + 1)];
    var output = new float[heads * d];
    var cpu = CpuBackend.Shared;
    var times = new List<double>();
    for (int rep = 0; rep < 20_000; rep++)
    {
        var clock = Stopwatch.StartNew();
        for (int layer = 0; layer < CompiledModel.NumLayers; layer++)
        {
            for (int unit = 0; unit < CompiledModel.UnitsPerLayer; unit++)
            {
                int n = CompiledModel.Budget(layer, unit);
                cpu.DecodeAttention(q, keys.AsSpan(0, n * d), values.AsSpan(0, n * d), newKey, newValue, probs.AsSpan(0, heads * (n + 1)), output, n, heads, d, 0.125f);
            }
        }

        times.Add(clock.Elapsed.TotalMicroseconds);
    }

    return Median(times);
}

(string Label, Action Step)[] DecodeArms() =>
[
    ("compiled", () => compiled.Decode(ArgMax(compiledLogits), compiledLogits)),
    ("FromProfile", () => engine.Decode(ArgMax(runtimeLogits), cache, setup.Hooks, runtimeLogits)),
];

static double Median(List<double> values)
{
    double[] sorted = [.. values.Order()];
    return sorted[sorted.Length / 2];
}

void Report(string label, List<double> tokensPerSecond)
{
    double[] sorted = [.. tokensPerSecond.Order()];
    double Quantile(double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{label,-33} tok/s median {Quantile(0.5),7:F0}   p10 {Quantile(0.1),7:F0}   p90 {Quantile(0.9),7:F0}   min {sorted[0],7:F0}   max {sorted[^1],7:F0}   n {sorted.Length}"));
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
