using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Compression;

/// <summary>Every method inside the real engine on a random tiny GQA model.</summary>
public sealed class CompressedEngineTests : IDisposable
{
    private const int PromptLength = 40;
    private readonly TinyModel _tiny = new(new TinyModelSpec { Layers = 3, Heads = 4, KvHeads = 2, HeadDim = 8, Hidden = 32, Seed = 21 });
    private readonly LlamaModel _model;
    private readonly int[] _prompt;

    public CompressedEngineTests()
    {
        _model = _tiny.Load();
        var rng = new Random(3);
        _prompt = Enumerable.Range(0, PromptLength + 8).Select(_ => rng.Next(_model.Config.VocabSize)).ToArray();
    }

    public void Dispose()
    {
        _model.Dispose();
        _tiny.Dispose();
    }

    public static TheoryData<string> Methods => new() { "uncomp", "snapkv", "pyramidkv", "streamingllm", "h2o" };

    private CompressionSetup Setup(string method, double mean) => method switch
    {
        "uncomp" => UncompCompression.Create(KvBudgetPlanner.Scaled(_model.Config, Enumerable.Range(0, 3).Select(_ => (IReadOnlyList<int>)[2, 4]).ToArray(), mean)),
        "pyramidkv" => new CompressionSetup(KvBudgetPlanner.Pyramid(_model.Config, mean, beta: 4), new CompressionHooks { Policy = new SnapKvPolicy(window: 4, name: "pyramidkv") }),
        "snapkv" => new CompressionSetup(KvBudgetPlanner.Uniform(_model.Config, mean), new CompressionHooks { Policy = new SnapKvPolicy(window: 4) }),
        "streamingllm" => new CompressionSetup(KvBudgetPlanner.Uniform(_model.Config, mean), new CompressionHooks { Policy = new StreamingLlmPolicy() }),
        "h2o" => new CompressionSetup(KvBudgetPlanner.Uniform(_model.Config, mean), new CompressionHooks { Policy = new H2OPolicy() }),
        _ => throw new ArgumentException(method),
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void BudgetCoveringPromptAndDecode_ReproducesFullCacheLogitsExactly(string method)
    {
        int total = PromptLength + 4;
        var engine = new InferenceEngine(_model, 64);
        using var full = engine.CreateFullCache();
        var setup = Setup(method, total * 4); // every unit ≥ total after scaling
        var hooks = method == "uncomp"
            ? new CompressionHooks { Policy = setup.Hooks.Policy, Pruner = new UncompHiddenStatePruner([total, total, total]) }
            : setup.Hooks;
        Assert.All(setup.Plan.Capacities, row => Assert.All(row, c => Assert.True(c >= total)));
        using var cache = setup.CreateCache();
        var expected = new float[_model.Config.VocabSize];
        var actual = new float[_model.Config.VocabSize];
        engine.Prefill(_prompt.AsSpan(0, PromptLength), full, null, expected);
        var compressedEngine = new InferenceEngine(_model, 64 * 4 * 2);
        compressedEngine.Prefill(_prompt.AsSpan(0, PromptLength), cache, hooks, actual);
        Assert.Equal(expected, actual);
        for (int t = PromptLength; t < total; t++)
        {
            engine.Decode(_prompt[t], full, null, expected);
            compressedEngine.Decode(_prompt[t], cache, hooks, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void CompressedDecode_EqualsFullAttentionOverTheKeptSet(string method)
    {
        var setup = Setup(method, 12);
        var engine = new InferenceEngine(_model, 64);
        var reference = new InferenceEngine(_model, 64);
        using var cache = setup.CreateCache();
        var logits = new float[_model.Config.VocabSize];
        var expected = new float[_model.Config.VocabSize];
        engine.Prefill(_prompt.AsSpan(0, PromptLength), cache, setup.Hooks, logits);
        CheckCache(cache, setup.Plan, method, window: method == "uncomp" ? 8 : method is "snapkv" or "pyramidkv" ? 4 : 0);
        for (int t = PromptLength; t < _prompt.Length; t++)
        {
            using var copy = CopyToFullCache(cache, reference);
            reference.Decode(_prompt[t], copy, null, expected);
            engine.Decode(_prompt[t], cache, setup.Hooks, logits);
            Approx.Equal(expected, logits, 1e-6, $"{method} decode position {t}");
            CheckCache(cache, setup.Plan, method, window: 0);
            Assert.Equal(t + 1, cache.NextPosition);
        }
    }

    [Fact]
    public void HiddenStatePruning_LaterLayersCacheOnlySurvivorsAndLastWindow()
    {
        var plan = KvBudgetPlanner.Uniform(_model.Config, 64);
        var setup = UncompCompression.Create(plan, [PromptLength, 20, 12]);
        var engine = new InferenceEngine(_model, 64);
        using var cache = setup.CreateCache();
        var logits = new float[_model.Config.VocabSize];
        engine.Prefill(_prompt.AsSpan(0, PromptLength), cache, setup.Hooks, logits);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(PromptLength, cache.Length(0, 0));
        Assert.Equal(20, cache.Length(1, 1));
        Assert.Equal(12, cache.Length(2, 0));
        var layer1 = cache.Positions(1, 0).ToArray();
        var layer2 = cache.Positions(2, 0).ToArray();
        Assert.Subset(layer1.ToHashSet(), layer2.ToHashSet());
        Assert.Equal(Enumerable.Range(PromptLength - 8, 8), layer2[^8..]);
        Assert.Equal(PromptLength, cache.NextPosition);

        // The next token takes the true absolute position after pruning.
        engine.Decode(_prompt[PromptLength], cache, setup.Hooks, logits);
        Assert.Equal(PromptLength, cache.Positions(2, 0)[^1]);
    }

    [Fact]
    public void GrowDecode_KeepsBudgetAfterPrefillThenAppendsWithoutEviction()
    {
        var plan = KvBudgetPlanner.Uniform(_model.Config, 12);
        var setup = UncompCompression.Create(plan, growTokens: 5);
        Assert.Equal(17, setup.Plan.Capacity(0, 0));
        var engine = new InferenceEngine(_model, 64);
        using var cache = setup.CreateCache();
        var logits = new float[_model.Config.VocabSize];
        engine.Prefill(_prompt.AsSpan(0, PromptLength), cache, setup.Hooks, logits);
        Assert.Equal(12, cache.Length(1, 0));
        var kept = cache.Positions(1, 0).ToArray();
        for (int t = 0; t < 5; t++)
        {
            engine.Decode(_prompt[PromptLength + t], cache, setup.Hooks, logits);
        }

        Assert.Equal(kept.Concat(Enumerable.Range(PromptLength, 5)), cache.Positions(1, 0).ToArray());
        engine.Decode(_prompt[PromptLength + 5], cache, setup.Hooks, logits);
        Assert.Equal(17, cache.Length(1, 0)); // headroom used up: fixed-size eviction from here on
    }

    private static void CheckCache(KvCache cache, KvBudgetPlan plan, string method, int window)
    {
        Assert.Equal(plan.Bytes, cache.Bytes);
        var layout = cache.Layout;
        int last = cache.NextPosition - 1;
        for (int l = 0; l < layout.Layers; l++)
        {
            for (int u = 0; u < layout.UnitsPerLayer; u++)
            {
                var positions = cache.Positions(l, u);
                Assert.True(positions.Length <= plan.Capacity(l, u), $"{method} L{l} U{u}: {positions.Length} > {plan.Capacity(l, u)}");
                for (int i = 1; i < positions.Length; i++)
                {
                    Assert.True(positions[i] > positions[i - 1], $"{method} L{l} U{u}: positions not increasing");
                }

                int w = Math.Min(window, plan.Capacity(l, u));
                for (int i = 0; i < w; i++)
                {
                    Assert.Equal(last - w + 1 + i, positions[positions.Length - w + i]);
                }
            }
        }
    }

    private static KvCache CopyToFullCache(KvCache source, InferenceEngine engine)
    {
        var copy = engine.CreateFullCache();
        var layout = source.Layout;
        int d = layout.HeadDim;
        for (int l = 0; l < layout.Layers; l++)
        {
            for (int u = 0; u < layout.UnitsPerLayer; u++)
            {
                var positions = source.Positions(l, u);
                var keys = source.Keys(l, u);
                var values = source.Values(l, u);
                for (int s = 0; s < positions.Length; s++)
                {
                    copy.Append(l, u, keys.Slice(s * d, d), values.Slice(s * d, d), positions[s]);
                }
            }
        }

        copy.NextPosition = source.NextPosition;
        return copy;
    }
}
