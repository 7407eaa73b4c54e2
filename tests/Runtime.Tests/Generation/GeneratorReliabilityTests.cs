using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Generation;

/// <summary>
/// Issue 14: the context limit, cancellation that leaves sequence and cache consistent, failures that make the
/// generator refuse further use, concurrent use detected, non-finite weights and logits.
/// </summary>
public class GeneratorReliabilityTests
{
    private static readonly int[] Prompt = [5, 9, 3, 17, 2, 8, 11, 4];

    [Fact]
    public void Constructor_MaxLengthAboveModelContext_ThrowsNamingContext()
    {
        using var tiny = new TinyModel(new TinyModelSpec { MaxPositionEmbeddings = 64 });
        using var model = tiny.Load();

        var e = Assert.Throws<ArgumentException>(() => new Generator(model, new GeneratorParams { MaxLength = 65 }));

        Assert.Contains("[1, 64]", e.Message, StringComparison.Ordinal);
        Assert.Contains("max_position_embeddings", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AppendTokens_PromptPastMaxLength_RefusesAndLeavesGeneratorUsable()
    {
        using var tiny = new TinyModel(new TinyModelSpec { MaxPositionEmbeddings = 64 });
        using var model = tiny.Load();
        using var gen = new Generator(model, new GeneratorParams { MaxLength = 16, MaxNewTokens = 4, EosTokenIds = [] });

        var e = Assert.Throws<ContextLengthExceededException>(() => gen.AppendTokens(Enumerable.Range(1, 17).ToArray()));

        Assert.Equal(17, e.RequestedTokens);
        Assert.Equal(16, e.Limit);
        Assert.Empty(gen.Sequence);
        gen.AppendTokens(Prompt);
        Assert.Equal(Prompt.Length, gen.Sequence.Count);
    }

    [Fact]
    public void Generation_ReachingMaxLength_StopsWithContextLimit()
    {
        using var tiny = new TinyModel(new TinyModelSpec { MaxPositionEmbeddings = 12 });
        using var model = tiny.Load();
        using var gen = new Generator(model, new GeneratorParams { MaxNewTokens = 100, EosTokenIds = [] });

        var generated = gen.Generate(Prompt).ToList();

        Assert.Equal(12, gen.MaxLength);
        Assert.Equal(4, generated.Count);
        Assert.Equal(GenerationStopReason.ContextLimit, gen.StopReason);
        Assert.Throws<InvalidOperationException>(() => gen.GenerateNextToken());
    }

    [Fact]
    public void AppendTokens_CancelledMidPrefill_LeavesGeneratorEmptyAndReusable()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        using var reference = new Generator(model, new GeneratorParams { MaxLength = 32, EosTokenIds = [] });
        reference.AppendTokens(Prompt);
        using var gen = new Generator(model, new GeneratorParams { MaxLength = 32, EosTokenIds = [] });
        using var cts = new CancellationTokenSource();

        Assert.ThrowsAny<OperationCanceledException>(() => gen.AppendTokens(Prompt, new CancelAfter(1, cts), cts.Token));

        Assert.Empty(gen.Sequence);
        Assert.Equal(0, gen.Cache.BytesInUse);
        Assert.Equal(0, gen.Cache.NextPosition);
        gen.AppendTokens(Prompt);
        Assert.Equal(reference.Logits.ToArray(), gen.Logits.ToArray());
    }

    [Fact]
    public void AppendTokens_CancelledMidDecode_KeepsSequenceAndCacheInStepAndContinuesExactly()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        int[] more = [7, 1, 12, 30, 6, 21];
        using var reference = new Generator(model, new GeneratorParams { MaxLength = 32, EosTokenIds = [] });
        reference.AppendTokens(Prompt);
        reference.AppendTokens(more);

        using var cts = new CancellationTokenSource();
        int cancelAt = int.MaxValue;
        var backend = new HookedBackend(calls =>
        {
            if (calls == cancelAt)
            {
                cts.Cancel();
            }
        });
        using var gen = new Generator(model, new GeneratorParams { MaxLength = 32, EosTokenIds = [], Backend = backend });
        gen.AppendTokens(Prompt);
        cancelAt = backend.Calls + (2 * 15) + 3; // inside the third decode step (15 MatMuls per token here)

        Assert.ThrowsAny<OperationCanceledException>(() => gen.AppendTokens(more, null, cts.Token));

        // The step in progress finished; the next one was not started: sequence and cache agree.
        Assert.Equal(Prompt.Length + 3, gen.Sequence.Count);
        Assert.Equal(gen.Sequence.Count, gen.Cache.NextPosition);
        Assert.Equal(gen.Sequence.Count, gen.Cache.Length(0, 0));
        Assert.Equal(gen.Sequence.Count, gen.Cache.Length(model.Config.NumLayers - 1, model.Config.NumKeyValueHeads - 1));
        gen.AppendTokens(more.AsSpan(3));
        Assert.Equal(reference.Sequence, gen.Sequence);
        Assert.Equal(reference.Logits.ToArray(), gen.Logits.ToArray());
    }

    [Fact]
    public void Decode_FailingMidStep_MarksGeneratorUnusableWithTheCause()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        int failAt = int.MaxValue;
        var backend = new HookedBackend(calls =>
        {
            if (calls == failAt)
            {
                throw new InvalidOperationException("simulated kernel failure");
            }
        });
        using var gen = new Generator(model, new GeneratorParams { MaxLength = 32, EosTokenIds = [], Backend = backend });
        gen.AppendTokens(Prompt);
        failAt = backend.Calls + 9; // second layer of the first decode step: layer 0 already appended the token

        Assert.Throws<InvalidOperationException>(() => gen.AppendTokens([3]));

        Assert.True(gen.IsFaulted);
        var e = Assert.Throws<InvalidOperationException>(() => gen.GenerateNextToken());
        Assert.Contains("unusable", e.Message, StringComparison.Ordinal);
        Assert.Contains("simulated kernel failure", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generator_CallFromSecondThreadWhileBusy_IsRefusedAndFirstCallCompletes()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        bool block = false;
        var backend = new HookedBackend(_ =>
        {
            if (Volatile.Read(ref block))
            {
                Volatile.Write(ref block, false);
                inside.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        });
        using var gen = new Generator(model, new GeneratorParams { MaxLength = 32, EosTokenIds = [], Backend = backend });
        Volatile.Write(ref block, true);
        var first = Task.Run(() => gen.AppendTokens(Prompt));
        Assert.True(inside.Wait(TimeSpan.FromSeconds(30)));

        var e = Assert.Throws<InvalidOperationException>(() => gen.GenerateNextToken());
        release.Set();
        await first.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("another thread", e.Message, StringComparison.Ordinal);
        Assert.True(first.IsCompletedSuccessfully);
        Assert.Equal(Prompt, gen.Sequence);
        Assert.False(gen.IsFaulted);
    }

    [Fact]
    public void Engine_InterleavedPrefills_SecondInvalidatesFirst()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        var engine = new InferenceEngine(model, 32);
        using var cacheA = engine.CreateFullCache();
        using var cacheB = engine.CreateFullCache();

        var a = engine.BeginPrefill(Prompt, cacheA);
        var b = engine.BeginPrefill(Prompt.AsSpan(0, 4), cacheB);

        var e = Assert.Throws<InvalidOperationException>(() => engine.RunPrefillLayer(a, 0));
        Assert.Contains("overwritten", e.Message, StringComparison.Ordinal);
        engine.RunPrefillLayer(b, 0);
    }

    [Fact]
    public async Task Generators_SharingStatefulHooksConcurrently_SecondIsRefused()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        var hooks = new CompressionHooks { Policy = new UncompPolicy(2, 1) };
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var blocking = new HookedBackend(calls =>
        {
            if (calls == 1)
            {
                inside.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        });
        using var a = new Generator(model, new GeneratorParams { MaxLength = 32, Hooks = hooks, Backend = blocking });
        using var b = new Generator(model, new GeneratorParams { MaxLength = 32, Hooks = hooks, Backend = new HookedBackend(_ => { }) });
        var first = Task.Run(() => a.AppendTokens(Prompt));
        Assert.True(inside.Wait(TimeSpan.FromSeconds(30)));

        var e = Assert.Throws<InvalidOperationException>(() => b.AppendTokens(Prompt));
        release.Set();
        await first.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("CompressionHooks", e.Message, StringComparison.Ordinal);
        b.AppendTokens(Prompt);
        Assert.Equal(a.Logits.ToArray(), b.Logits.ToArray());
    }

    [Fact]
    public void Load_NaNInEmbedding_ThrowsNamingFileTensorAndElement()
    {
        using var tiny = new TinyModel(new TinyModelSpec { NaNTensor = "model.embed_tokens.weight", DType = "BF16" });

        var e = Assert.Throws<ModelFormatException>(() => tiny.Load());

        Assert.Contains("model.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains("tensor 'model.embed_tokens.weight': row 0, column 5 is NaN", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_NaNWeightsWithScanOff_StopsWithNonFiniteLogitsAndRefusesMore()
    {
        using var tiny = new TinyModel(new TinyModelSpec { NaNTensor = "model.embed_tokens.weight" });
        using var model = LlamaModel.Load(tiny.Directory, new ModelLoadOptions { CheckFiniteWeights = false });
        using var gen = new Generator(model, new GeneratorParams { MaxLength = 32, EosTokenIds = [] });

        var e = Assert.Throws<NonFiniteLogitsException>(() => gen.AppendTokens([0, 3, 4]));

        Assert.Equal(2, e.Position);
        Assert.Contains("NaN", e.Message, StringComparison.Ordinal);
        Assert.True(gen.IsFaulted);
        Assert.Throws<InvalidOperationException>(() => gen.GenerateNextToken());
    }

    [Fact]
    public void Layout_CapacityAboveContext_IsRefused()
    {
        using var tiny = new TinyModel(new TinyModelSpec { MaxPositionEmbeddings = 64 });
        using var model = tiny.Load();
        int units = model.Config.NumKeyValueHeads;

        var e = Assert.Throws<ArgumentException>(() => KvCacheLayout.FromCapacities(model.Config, [.. Enumerable.Repeat(Enumerable.Repeat(65, units).ToArray(), model.Config.NumLayers)]));

        Assert.Contains("exceeds the model's context of 64", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new InferenceEngine(model, 10_000_000));
    }

    /// <summary>Cancels after the given number of prefill layers, from inside the prefill (synchronous progress).</summary>
    private sealed class CancelAfter(int layers, CancellationTokenSource cts) : IProgress<int>
    {
        public void Report(int value)
        {
            if (value >= layers)
            {
                cts.Cancel();
            }
        }
    }
}
