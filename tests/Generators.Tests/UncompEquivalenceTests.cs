using UNComp.Generators.Tests.Infrastructure;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Generators.Tests;

/// <summary>
/// The compiled model with its own UNComp hooks (<c>CreateHooks</c>, built from constants) against the runtime's
/// interpreted path for the same profile (<c>UncompCompression.FromProfile</c>): same tokens, same logits.
/// </summary>
public class UncompEquivalenceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CompiledModel_DefaultUncompHooks_MatchesInterpretedProfile(bool hiddenStates)
    {
        using var tiny = new TinyLlama();
        string json = TinyLlama.Profile(tiny.Fingerprint(), hiddenStates: hiddenStates);
        int[] prompt = Enumerable.Range(0, 48).Select(i => (i * 11 + 5) % TinyLlama.Vocab).ToArray();
        const int steps = 10;

        float[][] compiled = (float[][])RuntimeHalfTests.RunnerMethod(json, "Run").Invoke(null, [tiny.Directory, prompt, steps, null])!;
        float[][] interpreted;
        using (LlamaModel model = LlamaModel.Load(tiny.Directory))
        {
            CompressionSetup setup = UncompCompression.FromProfile(ProfileLoader.Parse(json), model.Config);
            Assert.Equal(hiddenStates, setup.Hooks.Pruner is not null);
            interpreted = RuntimeHalfTests.Interpret(model, setup.Plan.ToLayout(), prompt, steps, setup.Hooks);
        }

        for (int row = 0; row < compiled.Length; row++)
        {
            Assert.Equal(RuntimeHalfTests.ArgMax(interpreted[row]), RuntimeHalfTests.ArgMax(compiled[row]));
            Assert.All(compiled[row].Zip(interpreted[row]), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-5f, $"row {row}: {pair.First} vs {pair.Second}"));
        }
    }
}
