using System.Numerics.Tensors;
using UNComp.Runtime.Cache;
using CacheGranularity = UNComp.Runtime.Cache.CacheGranularity;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Evaluation;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;
using UNComp.Runtime.Tests.Generation;

namespace UNComp.Runtime.Tests.Compression.Methods;

/// <summary>
/// On the fixture model (models/fixture-llama with profiles/fixture-llama.uncomp.json), every method of the eval
/// grid at every budget of the grid: the registry's definition run by the CPU spec executors keeps exactly the
/// positions the reference policies keep, in every (layer, unit), after prefill and after each greedy decode step,
/// and produces bit-identical logits (hence the same greedy tokens). The prompt is the eval harness's passkey
/// prompt at the grid's shortest context length (512 tokens); set UNCOMP_METHOD_PARITY_LENGTHS=512,1024,2048 to
/// run the grid's other lengths too (slow: minutes on 2 cores).
/// </summary>
public sealed class FixtureModelMethodParityTests(FixtureModelMethodParityTests.FixtureModel fixture) : IClassFixture<FixtureModelMethodParityTests.FixtureModel>
{
    private const int NewTokens = 8;

    public static TheoryData<string, double, int> Grid()
    {
        string? lengths = Environment.GetEnvironmentVariable("UNCOMP_METHOD_PARITY_LENGTHS");
        var data = new TheoryData<string, double, int>();
        foreach (int length in string.IsNullOrWhiteSpace(lengths) ? [512] : lengths.Split(',').Select(int.Parse))
        {
            data.Add("full", 1.0, length);
            foreach (string method in EvalMethods.All.Where(m => m is not ("full" or "knorm")))
            {
                foreach (double budget in new EvalOptions().Budgets)
                {
                    data.Add(method, budget, length);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Definition_KeepsSamePositionsAndGreedyTokensAsReferencePolicies(string method, double budget, int promptTokens)
    {
        var model = fixture.Model;
        int[] prompt = fixture.Prompt(promptTokens);
        int maxCapacity = prompt.Length + NewTokens;
        double mean = budget * prompt.Length;
        var plan = EvalMethods.Plan(method, model.Config, mean, prompt.Length, maxCapacity, fixture.Profile);
        var definition = plan.CreateCpuSetup();
        var reference = ReferenceSetup(method, model.Config, mean, prompt.Length, maxCapacity, fixture.Profile);
        Assert.Equal(reference.Plan.Capacities, definition.Plan.Capacities);
        Assert.Equal(reference.Hooks.Pruner is null, definition.Hooks.Pruner is null);
        if (method != "full")
        {
            Assert.IsType<SpecPolicy>(definition.Hooks.Policy);
        }

        var engine = new InferenceEngine(model, maxCapacity);
        using var expectedCache = reference.CreateCache();
        using var actualCache = definition.CreateCache();
        var expected = new float[model.Config.VocabSize];
        var actual = new float[model.Config.VocabSize];
        engine.Prefill(prompt, expectedCache, reference.Hooks, expected);
        engine.Prefill(prompt, actualCache, definition.Hooks, actual);
        int evicting = AssertSamePositions(expectedCache, actualCache, $"{method} {budget:P0} L={prompt.Length} prefill");
        Assert.True(method == "full" || evicting > 0, $"{method} at {budget:P0} selected nothing: the test would not exercise it.");
        Assert.Equal(expected, actual);
        var greedy = new List<int>();
        for (int step = 0; step < NewTokens; step++)
        {
            int token = TensorPrimitives.IndexOfMax(expected);
            Assert.Equal(token, TensorPrimitives.IndexOfMax(actual));
            greedy.Add(token);
            engine.Decode(token, expectedCache, reference.Hooks, expected);
            engine.Decode(token, actualCache, definition.Hooks, actual);
            AssertSamePositions(expectedCache, actualCache, $"{method} {budget:P0} decode step {step}");
            Assert.Equal(expected, actual);
        }

        Assert.Equal(NewTokens, greedy.Count);
    }

    /// <summary>The methods as eval built them before the registry: the hand-written reference policies.</summary>
    internal static CompressionSetup ReferenceSetup(string method, ModelConfig config, double meanBudget, int promptLength, int maxCapacity, UncompProfile profile)
    {
        double mean = Math.Min(Math.Max(1, meanBudget), maxCapacity);
        return method switch
        {
            "full" => new CompressionSetup(KvBudgetPlanner.Uniform(config, maxCapacity), CompressionHooks.None),
            "uncomp" or "uncomp-kv" => UncompCompression.FromProfile(profile, config, mean, maxCapacity, hiddenStates: method == "uncomp" ? null : false, promptLength: promptLength),
            "snapkv" => new CompressionSetup(KvBudgetPlanner.Uniform(config, mean, CacheGranularity.KvHead, maxCapacity), new CompressionHooks { Policy = new SnapKvPolicy() }),
            "pyramidkv" => new CompressionSetup(KvBudgetPlanner.Pyramid(config, mean, 20, CacheGranularity.KvHead, maxCapacity), new CompressionHooks { Policy = new SnapKvPolicy(name: "pyramidkv") }),
            "streamingllm" => new CompressionSetup(KvBudgetPlanner.Uniform(config, mean, CacheGranularity.KvHead, maxCapacity), new CompressionHooks { Policy = new StreamingLlmPolicy() }),
            "h2o" => new CompressionSetup(KvBudgetPlanner.Uniform(config, mean, CacheGranularity.KvHead, maxCapacity), new CompressionHooks { Policy = new H2OPolicy() }),
            _ => throw new ArgumentException($"no reference policy for '{method}'", nameof(method)),
        };
    }

    // Returns how many units hold fewer tokens than were offered (i.e. where selection happened).
    private static int AssertSamePositions(KvCache expected, KvCache actual, string what)
    {
        int selected = 0;
        var layout = expected.Layout;
        for (int l = 0; l < layout.Layers; l++)
        {
            for (int u = 0; u < layout.UnitsPerLayer; u++)
            {
                var e = expected.Positions(l, u);
                var a = actual.Positions(l, u);
                Assert.True(e.SequenceEqual(a), $"{what}: layer {l} unit {u} kept [{string.Join(',', e.ToArray())}] (reference) vs [{string.Join(',', a.ToArray())}]");
                if (e.Length > 0 && e[^1] + 1 > e.Length)
                {
                    selected++;
                }
            }
        }

        return selected;
    }

    /// <summary>The fixture model, its profile and one passkey prompt from the eval harness, loaded once.</summary>
    public sealed class FixtureModel : IDisposable
    {
        private readonly TaskGenerator _generator;
        private readonly Dictionary<int, int[]> _prompts = [];

        public FixtureModel()
        {
            string root = GoldenParityTests.RepoRoot() ?? throw new InvalidOperationException("UNComp.Compiler.sln not found above the test binaries.");
            string dir = Path.Combine(root, "models", "fixture-llama");
            Model = LlamaModel.Load(dir);
            Profile = ProfileLoader.Load(Path.Combine(root, "profiles", "fixture-llama.uncomp.json"));
            _generator = new TaskGenerator(TokenizerCodec.Load(dir), File.ReadAllText(Path.Combine(dir, "haystack.txt")), TaskTemplates.Default);
        }

        public LlamaModel Model { get; }

        public UncompProfile Profile { get; }

        /// <summary>The eval harness's passkey prompt of about <paramref name="tokens"/> tokens (seeded, cached).</summary>
        public int[] Prompt(int tokens)
        {
            lock (_prompts)
            {
                if (!_prompts.TryGetValue(tokens, out var prompt))
                {
                    prompt = _generator.Passkey(tokens, 0.5, 0, new Random(11)).Tokens;
                    _prompts.Add(tokens, prompt);
                }

                return prompt;
            }
        }

        public void Dispose() => Model.Dispose();
    }
}
