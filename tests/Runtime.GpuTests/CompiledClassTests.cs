using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Evaluation;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Gpu;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.GpuTests;

/// <summary>A class compiled from profiles/fixture-llama.uncomp.json runs its plan on the GPU.</summary>
public sealed class CompiledClassTests(ITestOutputHelper output)
{
    [Fact]
    public void LoadCuda_SizesTheArenaFromThePlan_AndDecodes()
    {
        var device = Gpu.Device;
        using var engine = FixtureCompiled.LoadCuda(Gpu.FixtureModel, device, maxBatch: 2, maxPrefillTokens: 1024);
        long plan = 2L * 2 * FixtureCompiled.KvElementCount * 2; // K and V, two slots, bf16
        Assert.Equal(plan, engine.KvBytes);
        for (int l = 0; l < engine.Arena.Layout.Layers; l++)
        {
            for (int u = 0; u < engine.Arena.Layout.UnitsPerLayer; u++)
            {
                Assert.Equal(FixtureCompiled.KvOffsets[(l * engine.Arena.Layout.UnitsPerLayer) + u], engine.Arena.Layout.Offset(l, u));
            }
        }

        var r = new Random(12);
        int[] prompt = Enumerable.Range(0, 700).Select(_ => r.Next(engine.Model.Config.VocabSize)).ToArray();
        engine.Prefill(1, prompt, []);
        int[] next = [prompt[^1]];
        for (int i = 0; i < 5; i++)
        {
            engine.DecodeSample([1], next, SamplingOptions.Greedy, [], next);
        }

        var lengths = engine.Arena.ReadLengths(1);
        int units = engine.Arena.Layout.UnitsPerLayer;
        for (int i = 0; i < lengths.Length; i++)
        {
            Assert.Equal(Math.Min(705, engine.Arena.Layout.Capacity(i / units, i % units)), lengths[i]);
        }

        output.WriteLine($"plan KV bytes for 2 slots: {plan:N0}; unit lengths after 700 + 5 tokens: {string.Join(",", lengths)}");
    }

    [Fact]
    public void LoadCuda_RunsTheProfilesSelection_KeepingTheCpuCompiledClassesPositions()
    {
        var device = Gpu.Device;
        using var engine = FixtureCompiled.LoadCuda(Gpu.FixtureModel, device, maxPrefillTokens: 2048);
        Assert.Equal(new SelectionSpec(ScoreSource.ObservationWindow, FixtureCompiled.Window, FixtureCompiled.PoolKernel, Compression.PoolingKind.Max, 0, FixtureCompiled.Window, DecodeMode.Fixed), engine.Selection);
        var codec = TokenizerCodec.Load(Gpu.FixtureModel);
        var tasks = new TaskGenerator(codec, File.ReadAllText(Path.Combine(Gpu.FixtureModel, "haystack.txt")), TaskTemplates.Default);
        int[] prompt = tasks.Passkey(2000, 0.5, 0, new Random(3)).Tokens;
        using var cpuModel = LlamaModel.Load(Gpu.FixtureModel);
        var hooks = FixtureCompiled.CreateHooks();
        var cpu = new InferenceEngine(cpuModel, prompt.Length + 8);
        using var cache = InferenceEngine.CreateCache(FixtureCompiled.CreateLayout(cpuModel.Config), hooks);
        var c = new float[cpuModel.Config.VocabSize];
        var g = new float[cpuModel.Config.VocabSize];
        cpu.Prefill(prompt, cache, hooks, c);
        engine.Prefill(0, prompt, g);
        long same = 0, total = 0;
        var layout = engine.Arena.Layout;
        for (int l = 0; l < layout.Layers; l++)
        {
            for (int u = 0; u < layout.UnitsPerLayer; u++)
            {
                var expected = cache.Positions(l, u).ToArray();
                same += expected.Intersect(engine.ReadKeptPositions(0, l, u)).Count();
                total += expected.Length;
            }
        }

        output.WriteLine($"compiled class, {prompt.Length}-token passkey prompt: kept positions in common {same}/{total}; next token GPU {TokenSampler.ArgMax(g)}, CPU {TokenSampler.ArgMax(c)}");
        Assert.True(same >= 0.97 * total, $"kept positions in common: {same} of {total}");
        Assert.Equal(TokenSampler.ArgMax(c), TokenSampler.ArgMax(g));
    }
}
