using UNComp.Generators.Tests.Infrastructure;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;
using UNComp.Runtime.Tokenization;

namespace UNComp.Generators.Tests;

/// <summary>
/// The fixture model compiled from its calibrated profile against the runtime's interpreted path for the same
/// profile: identical greedy tokens and logits within 1e-5, on a real needle prompt longer than every budget.
/// </summary>
public class FixtureModelEquivalenceTests
{
    [FixtureModelFact]
    public void CompiledFixtureModel_NeedlePrompt_MatchesInterpretedProfile()
    {
        string json = File.ReadAllText(FixtureModelFactAttribute.ProfilePath);
        UncompProfile profile = ProfileLoader.Parse(json);
        var tokenizer = Tokenizer.FromFile(Path.Combine(FixtureModelFactAttribute.ModelDirectory, "tokenizer.json"));
        string haystack = File.ReadAllText(Path.Combine(FixtureModelFactAttribute.ModelDirectory, "haystack.txt"));
        int budget = profile.Layers.Max(l => l.Budgets.Max());
        int[] prompt = tokenizer.EncodeToIds(haystack[..20_000]).Take(budget + 200).ToArray();
        Assert.True(prompt.Length > budget, "the prompt must be longer than every budget so eviction happens");
        const int steps = 8;

        float[][] compiled = (float[][])RuntimeHalfTests.RunnerMethod(json, "Run", profile.Name + "Compiled")
            .Invoke(null, [FixtureModelFactAttribute.ModelDirectory, prompt, steps, null])!;
        float[][] interpreted;
        using (LlamaModel model = LlamaModel.Load(FixtureModelFactAttribute.ModelDirectory))
        {
            CompressionSetup setup = UncompCompression.FromProfile(profile, model.Config);
            interpreted = RuntimeHalfTests.Interpret(model, setup.Plan.ToLayout(), prompt, steps, setup.Hooks);
        }

        for (int row = 0; row < compiled.Length; row++)
        {
            Assert.Equal(RuntimeHalfTests.ArgMax(interpreted[row]), RuntimeHalfTests.ArgMax(compiled[row]));
            Assert.All(compiled[row].Zip(interpreted[row]), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-5f, $"row {row}: {pair.First} vs {pair.Second}"));
        }
    }
}
