using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Generation;

public class InferenceEngineTests
{
    private static readonly int[] Sequence = [1, 5, 9, 13, 7, 22, 31, 4, 17, 39, 0, 8, 26, 11];

    public static TheoryData<string> Architectures => new() { "llama-gqa", "qwen2-bias-tied", "llama3-scaling", "mistral", "llama-mha-bf16" };

    internal static TinyModelSpec SpecFor(string name) => name switch
    {
        "llama-gqa" => new TinyModelSpec { Heads = 4, KvHeads = 2 },
        "qwen2-bias-tied" => new TinyModelSpec { Architecture = "Qwen2ForCausalLM", Tied = true, RopeTheta = 1_000_000, Seed = 11 },
        "llama3-scaling" => new TinyModelSpec { Llama3Scaling = true, RopeParametersShape = true, RopeTheta = 500_000, Seed = 12 },
        "mistral" => new TinyModelSpec { Architecture = "MistralForCausalLM", Heads = 4, KvHeads = 1, SlidingWindow = 4096, Seed = 13 },
        "llama-mha-bf16" => new TinyModelSpec { Heads = 4, KvHeads = 4, DType = "BF16", WriteHeadDim = false, Seed = 14 },
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Prefill_MatchesNaiveDoublePrecisionReference(string arch)
    {
        using var tiny = new TinyModel(SpecFor(arch));
        using var model = tiny.Load();
        var engine = new InferenceEngine(model, 32);
        using var cache = engine.CreateFullCache();
        var logits = new float[model.Config.VocabSize];
        engine.Prefill(Sequence, cache, null, logits);
        Approx.Equal(ReferenceForward.LastLogits(model, Sequence), logits, 1e-4, arch);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Decode_WithCache_MatchesFullRecomputeAtEveryPosition(string arch)
    {
        using var tiny = new TinyModel(SpecFor(arch));
        using var model = tiny.Load();
        var engine = new InferenceEngine(model, 32);
        var fresh = new InferenceEngine(model, 32);
        using var cache = engine.CreateFullCache();
        using var recomputeCache = fresh.CreateFullCache();
        int vocab = model.Config.VocabSize;
        var logits = new float[vocab];
        var expected = new float[vocab];
        engine.Prefill(Sequence.AsSpan(0, 3), cache, null, logits);
        for (int t = 3; t < Sequence.Length; t++)
        {
            engine.Decode(Sequence[t], cache, null, logits);
            fresh.Prefill(Sequence.AsSpan(0, t + 1), recomputeCache, null, expected);
            Approx.Equal(expected, logits, 1e-4, $"{arch} position {t}");
        }

        Assert.Equal(Sequence.Length, cache.NextPosition);
        Approx.Equal(ReferenceForward.LastLogits(model, Sequence), logits, 1e-4, arch + " vs reference");
    }

    [Fact]
    public void Decode_QueryHeadGranularity_MatchesKvHeadGranularity()
    {
        using var tiny = new TinyModel(SpecFor("llama-gqa"));
        using var model = tiny.Load();
        var engine = new InferenceEngine(model, 32);
        using var kv = engine.CreateFullCache(CacheGranularity.KvHead);
        using var qh = engine.CreateFullCache(CacheGranularity.QueryHead);
        var a = new float[model.Config.VocabSize];
        var b = new float[model.Config.VocabSize];
        engine.Prefill(Sequence.AsSpan(0, 6), kv, null, a);
        engine.Prefill(Sequence.AsSpan(0, 6), qh, null, b);
        Approx.Equal(a, b, 0, "prefill");
        for (int t = 6; t < 10; t++)
        {
            engine.Decode(Sequence[t], kv, null, a);
            engine.Decode(Sequence[t], qh, null, b);
            Approx.Equal(a, b, 1e-6, $"decode {t}");
        }

        Assert.Equal(2 * kv.BytesInUse, qh.BytesInUse);
    }

    [Fact]
    public void Prefill_PolicyKeepingEverything_ReproducesFullCacheLogitsExactly()
    {
        using var tiny = new TinyModel(SpecFor("llama-gqa"));
        using var model = tiny.Load();
        var engine = new InferenceEngine(model, 32);
        var hooks = new CompressionHooks { Policy = new KeepAllPolicy() };
        var layout = KvCacheLayout.Full(model.Config, 32);
        using var full = engine.CreateFullCache();
        using var kept = InferenceEngine.CreateCache(layout, hooks);
        var a = new float[model.Config.VocabSize];
        var b = new float[model.Config.VocabSize];
        engine.Prefill(Sequence.AsSpan(0, 8), full, null, a);
        engine.Prefill(Sequence.AsSpan(0, 8), kept, hooks, b);
        Assert.Equal(a, b);
        for (int t = 8; t < 12; t++)
        {
            engine.Decode(Sequence[t], full, null, a);
            engine.Decode(Sequence[t], kept, hooks, b);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void Prefill_EvictingPolicy_KeepsCapacityAndSelectedPositions()
    {
        using var tiny = new TinyModel(SpecFor("llama-gqa"));
        using var model = tiny.Load();
        var engine = new InferenceEngine(model, 32);
        var policy = new KeepLastPolicy(window: 3);
        var hooks = new CompressionHooks { Policy = policy };
        int[][] caps = [[5, 7], [4, 20]];
        using var cache = InferenceEngine.CreateCache(KvCacheLayout.FromCapacities(model.Config, caps), hooks);
        var logits = new float[model.Config.VocabSize];
        engine.Prefill(Sequence.AsSpan(0, 10), cache, hooks, logits);

        Assert.Equal([5, 6, 7, 8, 9], cache.Positions(0, 0).ToArray());
        Assert.Equal([3, 4, 5, 6, 7, 8, 9], cache.Positions(0, 1).ToArray());
        Assert.Equal(10, cache.Length(1, 1));
        Assert.Equal(3, policy.PrefillCalls);
        Assert.All(policy.WindowSums, s => Assert.Equal(3 * 2, s, 3)); // 3 query rows × 2 heads, each row sums to 1

        engine.Decode(3, cache, hooks, logits);
        Assert.Equal([6, 7, 8, 9, 10], cache.Positions(0, 0).ToArray());
        Assert.Equal(11, cache.Length(1, 1));
        Assert.Equal(3, policy.LastRecentQueryCount);
        Approx.Equal([1f * 2], [policy.LastCurrentAttentionSum], 1e-5, "current attention sums to heads");
        Assert.Equal((5L + 7 + 4 + 11) * 8 * 2 * 4, cache.BytesInUse);
    }

    [Fact]
    public void Prefill_ObserverSeesPostRopeQueriesMatchingPreRopeRotated()
    {
        using var tiny = new TinyModel(SpecFor("llama-gqa"));
        using var model = tiny.Load();
        var engine = new InferenceEngine(model, 32);
        var observer = new RecordingObserver();
        using var cache = engine.CreateFullCache();
        engine.Prefill(Sequence.AsSpan(0, 5), cache, new CompressionHooks { Observer = observer }, new float[model.Config.VocabSize]);
        Assert.Equal([0, 1], observer.Layers);
        // Token 0 sits at position 0: RoPE is the identity there.
        Approx.Equal(observer.PreRope0.AsSpan(0, 8), observer.PostRope0.AsSpan(0, 8), 0, "position 0");
        Assert.NotEqual(observer.PreRope0[40], observer.PostRope0[40]);
    }

    [Fact]
    public void Prefill_PrunerKeepingLastTokens_MatchesReferenceOnSurvivingTokensForPrunedLayers()
    {
        using var tiny = new TinyModel(SpecFor("llama-gqa") with { Layers = 2 });
        using var model = tiny.Load();
        var engine = new InferenceEngine(model, 32);
        var pruner = new KeepTailPruner(keep: 5);
        using var cache = engine.CreateFullCache();
        var logits = new float[model.Config.VocabSize];
        engine.Prefill(Sequence.AsSpan(0, 10), cache, new CompressionHooks { Pruner = pruner }, logits);
        Assert.Equal(1, pruner.Calls);
        Assert.Equal(10, pruner.SeenLength);
        Assert.Equal(8 * 4, pruner.ScoreTotal, 3); // 8 rows × 4 heads, each row a distribution
        Assert.Equal([5, 6, 7, 8, 9], cache.Positions(1, 0).ToArray());
        Assert.Equal(10, cache.Length(0, 0));
        Assert.Equal(10, cache.NextPosition);
    }

    [Fact]
    public void Decode_AfterWarmUp_AllocatesNothing()
    {
        using var tiny = new TinyModel(SpecFor("llama-gqa"));
        using var model = tiny.Load();
        var engine = new InferenceEngine(model, 32);
        var policy = new KeepLastPolicy(window: 3);
        var hooks = new CompressionHooks { Policy = policy };
        using var cache = InferenceEngine.CreateCache(KvCacheLayout.FromCapacities(model.Config, [[5, 7], [4, 20]]), hooks);
        var logits = new float[model.Config.VocabSize];
        engine.Prefill(Sequence.AsSpan(0, 8), cache, hooks, logits);
        engine.Decode(3, cache, hooks, logits);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 4; t++)
        {
            engine.Decode(t, cache, hooks, logits);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BeginPrefill_TooLongPrompt_Throws()
    {
        using var tiny = new TinyModel(SpecFor("llama-gqa"));
        using var model = tiny.Load();
        var engine = new InferenceEngine(model, 4);
        using var cache = engine.CreateFullCache();
        var ex = Assert.Throws<ArgumentException>(() => engine.BeginPrefill(Sequence.AsSpan(0, 5), cache));
        Assert.Contains("at most 4", ex.Message);
    }

    [Fact]
    public void Decode_FullCacheOverflow_ThrowsWithGuidance()
    {
        using var tiny = new TinyModel(SpecFor("llama-gqa"));
        using var model = tiny.Load();
        var engine = new InferenceEngine(model, 4);
        using var cache = engine.CreateFullCache();
        var logits = new float[model.Config.VocabSize];
        engine.Prefill(Sequence.AsSpan(0, 4), cache, null, logits);
        var ex = Assert.Throws<InvalidOperationException>(() => engine.Decode(1, cache, null, logits));
        Assert.Contains("capacity", ex.Message);
    }

    [Fact]
    public void Decode_SlidingWindowExceeded_ThrowsNotSupported()
    {
        using var tiny = new TinyModel(SpecFor("mistral") with { SlidingWindow = 4 });
        using var model = tiny.Load();
        var engine = new InferenceEngine(model, 8);
        using var cache = engine.CreateFullCache();
        var logits = new float[model.Config.VocabSize];
        engine.Prefill(Sequence.AsSpan(0, 4), cache, null, logits);
        Assert.Throws<NotSupportedException>(() => engine.Decode(1, cache, null, logits));
    }

    private sealed class KeepAllPolicy : IKvCachePolicy
    {
        public string Name => "keep-all";

        public AttentionStatsRequest Request => new(4, NeedColumnSumsAllQueries: true);

        public void SelectPrefill(in PrefillSelectionContext context, Span<int> keep) => throw new InvalidOperationException("never over capacity");

        public int SelectDecodeEviction(in DecodeSelectionContext context) => throw new InvalidOperationException("never full");
    }

    private sealed class KeepLastPolicy(int window) : IKvCachePolicy
    {
        public int PrefillCalls { get; private set; }

        public List<float> WindowSums { get; } = [];

        public int LastRecentQueryCount { get; private set; }

        public float LastCurrentAttentionSum { get; private set; }

        public string Name => "keep-last";

        public AttentionStatsRequest Request => new(window);

        public void SelectPrefill(in PrefillSelectionContext context, Span<int> keep)
        {
            PrefillCalls++;
            float total = 0;
            foreach (float s in context.WindowScores)
            {
                total += s;
            }

            WindowSums.Add(total);
            Assert.Equal(context.Capacity, keep.Length);
            for (int i = 0; i < keep.Length; i++)
            {
                keep[i] = context.Length - keep.Length + i;
            }
        }

        public int SelectDecodeEviction(in DecodeSelectionContext context)
        {
            LastRecentQueryCount = context.RecentQueryCount;
            float total = 0;
            foreach (float s in context.CurrentAttention)
            {
                total += s;
            }

            LastCurrentAttentionSum = total;
            Span<float> scores = stackalloc float[context.Length];
            Span<float> scratch = stackalloc float[context.Length + 1];
            context.ComputeWindowScores(scores, scratch);
            return 0;
        }
    }

    private sealed class RecordingObserver : IPrefillObserver
    {
        public List<int> Layers { get; } = [];

        public float[] PreRope0 { get; private set; } = [];

        public float[] PostRope0 { get; private set; } = [];

        public bool WantsPreRope => true;

        public void OnLayer(in LayerActivations a)
        {
            Layers.Add(a.Layer);
            if (a.Layer == 0)
            {
                PreRope0 = a.QueriesPreRope.ToArray();
                PostRope0 = a.Queries.ToArray();
            }
        }
    }

    private sealed class KeepTailPruner(int keep) : IHiddenStatePruner
    {
        public int Calls { get; private set; }

        public int SeenLength { get; private set; }

        public float ScoreTotal { get; private set; }

        public int ObservationWindow => 8;

        public int KeepTokens(int layer) => layer == 0 ? int.MaxValue : keep;

        public void Select(in PruneContext context, Span<int> indices)
        {
            Calls++;
            SeenLength = context.Length;
            foreach (float s in context.Scores)
            {
                ScoreTotal += s;
            }

            for (int i = 0; i < indices.Length; i++)
            {
                indices[i] = context.Length - indices.Length + i;
            }
        }
    }
}
