using UNComp.Runtime.Generation;
using UNComp.Runtime.Gpu;

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
}
