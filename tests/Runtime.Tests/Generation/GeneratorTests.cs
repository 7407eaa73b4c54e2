using Microsoft.Extensions.AI;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Generation;

public class GeneratorTests
{
    private static readonly int[] Prompt = [1, 5, 9, 13, 7];

    [Fact]
    public void Greedy_EqualsArgMaxOfEngineLogitsStepByStep()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        using var gen = new Generator(model, new GeneratorParams { MaxNewTokens = 6, MaxLength = 32, EosTokenIds = [] });
        var tokens = gen.Generate(Prompt).ToList();
        Assert.Equal(6, tokens.Count);

        var engine = new InferenceEngine(model, 32);
        var seq = Prompt.ToList();
        var logits = new float[model.Config.VocabSize];
        var expected = new List<int>();
        for (int i = 0; i < 6; i++)
        {
            using var cache = engine.CreateFullCache();
            engine.Prefill(seq.ToArray(), cache, null, logits);
            int next = TokenSampler.ArgMax(logits);
            expected.Add(next);
            seq.Add(next);
        }

        Assert.Equal(expected, tokens);
        Assert.Equal(Prompt.Concat(tokens), gen.Sequence);
        Assert.Equal(5, gen.Stats.PromptTokens);
        Assert.Equal(5, gen.Stats.DecodedTokens);
        Assert.Equal(6, gen.Stats.GeneratedTokens);
        Assert.Equal(10L * model.Config.NumLayers * 2 * 8 * 2 * 4, gen.Stats.KvBytesInUse);
    }

    [Fact]
    public void Generation_MaxNewTokensZero_GeneratesNothing()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        using var gen = new Generator(model, new GeneratorParams { MaxNewTokens = 0, MaxLength = 16 });
        Assert.Empty(gen.Generate(Prompt));
        Assert.True(gen.IsDone);
        Assert.Equal(model.Config.VocabSize, gen.Logits.Length);
    }

    [Fact]
    public void Generation_StopsAtEosToken()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        int first;
        using (var probe = new Generator(model, new GeneratorParams { MaxNewTokens = 1, MaxLength = 16 }))
        {
            first = probe.Generate(Prompt).Single();
        }

        using var gen = new Generator(model, new GeneratorParams { MaxNewTokens = 10, MaxLength = 16, EosTokenIds = [first] });
        Assert.Equal([first], gen.Generate(Prompt).ToArray());
        Assert.True(gen.IsDone);
        Assert.Throws<InvalidOperationException>(() => gen.GenerateNextToken());
    }

    [Fact]
    public void Sampling_SameSeedSameTokens_DifferentSeedUsuallyDiffers()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        int[] Run(int seed)
        {
            var p = new GeneratorParams
            {
                MaxNewTokens = 12, MaxLength = 32, EosTokenIds = [],
                Sampling = new SamplingOptions { Temperature = 1.5, TopK = 20, TopP = 0.95, Seed = seed },
            };
            using var g = new Generator(model, p);
            return g.Generate(Prompt).ToArray();
        }

        Assert.Equal(Run(4), Run(4));
        Assert.NotEqual(Run(4), Run(5));
    }

    [Fact]
    public void Sampler_TopKOne_IsGreedy_AndTinyTopPKeepsTheMostLikely()
    {
        float[] logits = [0.1f, 2f, -1f, 1.9f];
        var k1 = new TokenSampler(new SamplingOptions { Temperature = 1, TopK = 1, Seed = 1 }, 4);
        var p0 = new TokenSampler(new SamplingOptions { Temperature = 1, TopP = 0.01, Seed = 1 }, 4);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(1, k1.Sample(logits));
            Assert.Equal(1, p0.Sample(logits));
        }

        var top2 = new TokenSampler(new SamplingOptions { Temperature = 1, TopK = 2, Seed = 1 }, 4);
        var seen = Enumerable.Range(0, 200).Select(_ => top2.Sample(logits)).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 3 }, seen);
    }

    [Fact]
    public void SamplingOptions_OutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions { Temperature = -1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions { TopP = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions { TopK = -2 }.Validate());
    }

    [Fact]
    public async Task GenerateAsync_StreamsSameTokensAsSync_AndHonoursCancellation()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        var p = new GeneratorParams { MaxNewTokens = 5, MaxLength = 32, EosTokenIds = [] };
        using var a = new Generator(model, p);
        using var b = new Generator(model, p);
        var streamed = new List<int>();
        await foreach (int t in a.GenerateAsync(Prompt))
        {
            streamed.Add(t);
        }

        Assert.Equal(b.Generate(Prompt).ToList(), streamed);

        using var c = new Generator(model, p);
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int t in c.GenerateAsync(Prompt, cts.Token))
            {
                cts.Cancel();
            }
        });
    }

    [Fact]
    public async Task ChatClient_FormatsTemplateAndStreamsDecodedText()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        var codec = new LetterCodec();
        using var client = new UNCompChatClient(model, codec, new GeneratorParams { MaxNewTokens = 4, MaxLength = 256, EosTokenIds = [] });
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.System, "be brief"), new ChatMessage(ChatRole.User, "hi")]);
        Assert.Equal("System: be brief\nUser: hi\nAssistant:", codec.LastEncoded);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.InRange(response.Text.Length, 1, 4);
        Assert.Equal(4, response.Usage!.OutputTokenCount);
        Assert.NotNull(((IChatClient)client).GetService<ChatClientMetadata>());
    }

    [Fact]
    public void TokenizerCodec_PassesThroughToTokenizer()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        const string chars = "abcdefghijklmnopqrstuvwxyz 0123456789.,!";
        var vocab = string.Join(", ", chars.Select((c, i) => $"\"{c}\": {i}"));
        File.WriteAllText(Path.Combine(tiny.Directory, "tokenizer.json"),
            "{\"added_tokens\": [], \"normalizer\": null, \"pre_tokenizer\": null, \"post_processor\": null, "
            + "\"decoder\": {\"type\": \"Fuse\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {" + vocab + "}, \"merges\": []}}");
        var codec = TokenizerCodec.Load(tiny.Directory);
        Assert.Equal([7, 8, 26, 27], codec.Encode("hi 0", addSpecialTokens: true));
        Assert.Equal("hi 0", codec.Decode([7, 8, 26, 27], skipSpecialTokens: true));
    }

    /// <summary>Maps characters to ids modulo a 40-token vocabulary and ids to letters: enough to exercise the text path.</summary>
    private sealed class LetterCodec : ITokenCodec
    {
        public string LastEncoded { get; private set; } = string.Empty;

        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens)
        {
            LastEncoded = text;
            return text.Select(ch => ch % 40).ToList();
        }

        public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens) => new(ids.Select(i => (char)('a' + (i % 26))).ToArray());
    }
}
