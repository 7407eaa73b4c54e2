using UNComp.Generators.Tests.Infrastructure;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;
using UNComp.Runtime.Tokenization;

namespace UNComp.Generators.Tests;

/// <summary>
/// The compiled class with its own hooks (built from constants) against the runtime's interpreted path for the same
/// profile (<c>UncompCompression.FromProfile</c>): identical greedy tokens, identical kept positions in every cache
/// unit after prefill and after decode, logits within 1e-5. Every prompt is longer than every budget, so eviction
/// (and, where stages are on, hidden-state pruning) happens.
/// </summary>
public class CompiledEquivalenceTests
{
    /// <summary>Granularity, hidden-state stages on (two stages) or off (one), grow tokens (decode "grow" when &gt; 0).</summary>
    public static TheoryData<string, bool, int> TinyProfiles => new()
    {
        { "kvHead", false, 0 },
        { "kvHead", true, 0 },
        { "queryHead", false, 0 },
        { "queryHead", true, 0 },
        { "kvHead", false, 5 },
        { "queryHead", true, 5 },
    };

    [Theory]
    [MemberData(nameof(TinyProfiles))]
    public void CompiledTinyModel_DefaultHooks_MatchesFromProfile(string granularity, bool stages, int growTokens)
    {
        using var tiny = new TinyLlama();
        string json = TinyLlama.Profile(tiny.Fingerprint(), hiddenStates: stages, granularity: granularity, decode: growTokens > 0 ? "grow" : "fixed");
        int[] prompt = Enumerable.Range(0, 48).Select(i => (i * 11 + 5) % TinyLlama.Vocab).ToArray();
        const int steps = 10;

        RunTrace compiled = CompiledRun.Compiled(json, tiny.Directory, prompt, steps, growTokens: growTokens);
        RunTrace interpreted;
        using (LlamaModel model = LlamaModel.Load(tiny.Directory))
        {
            CompressionSetup setup = UncompCompression.FromProfile(ProfileLoader.Parse(json), model.Config, growTokens: growTokens);
            Assert.Equal(stages, setup.Hooks.Pruner is not null);
            interpreted = CompiledRun.Interpreted(model, setup.Plan.ToLayout(), prompt, steps, setup.Hooks);
        }

        compiled.AssertEquivalentTo(interpreted);
    }

    [Fact]
    public void WindowOtherThanEight_PrunerStaysAtEight_CompiledMatchesFromProfile()
    {
        // The tiny profile's KV window is 4; the method scores hidden-state pruning with 8 query rows whatever the
        // KV window (docs/compression.md), in the compiled class as in FromProfile.
        using var tiny = new TinyLlama();
        string json = TinyLlama.Profile(tiny.Fingerprint(), hiddenStates: true);
        int[] prompt = Enumerable.Range(0, 48).Select(i => (i * 13 + 3) % TinyLlama.Vocab).ToArray();

        var compiledHooks = (CompressionHooks)CompiledRun.RunnerMethod(json, "Hooks").Invoke(null, [])!;
        RunTrace compiled = CompiledRun.Compiled(json, tiny.Directory, prompt, steps: 6);
        RunTrace interpreted;
        using (LlamaModel model = LlamaModel.Load(tiny.Directory))
        {
            CompressionSetup setup = UncompCompression.FromProfile(ProfileLoader.Parse(json), model.Config);
            Assert.Equal(4, Assert.IsType<UncompPolicy>(setup.Hooks.Policy).Window);
            Assert.Equal(8, Assert.IsType<UncompHiddenStatePruner>(setup.Hooks.Pruner).ObservationWindow);
            interpreted = CompiledRun.Interpreted(model, setup.Plan.ToLayout(), prompt, 6, setup.Hooks);
        }

        Assert.Equal(4, Assert.IsType<UncompPolicy>(compiledHooks.Policy).Window);
        Assert.Equal(8, Assert.IsType<UncompHiddenStatePruner>(compiledHooks.Pruner).ObservationWindow);
        compiled.AssertEquivalentTo(interpreted);
    }

    [Fact]
    public void CompiledGrowProfile_DecodeAppendsIntoHeadroomBeforeEvicting()
    {
        using var tiny = new TinyLlama();
        string json = TinyLlama.Profile(tiny.Fingerprint(), decode: "grow");
        int[] prompt = Enumerable.Range(0, 48).Select(i => (i * 11 + 5) % TinyLlama.Vocab).ToArray();

        RunTrace trace = CompiledRun.Compiled(json, tiny.Directory, prompt, steps: 3, growTokens: 5);

        // Layer 0 unit 0 has budget 12: prefill keeps 12, three decoded tokens are appended (headroom 5), none evicted.
        Assert.Equal(12, trace.PrefillPositions[0].Length);
        Assert.Equal(15, trace.FinalPositions[0].Length);
        Assert.Equal(new[] { 48, 49, 50 }, trace.FinalPositions[0][^3..]);
        Assert.Equal(trace.PrefillPositions[0], trace.FinalPositions[0][..12]);
    }

    [Fact]
    public void CompiledGrowProfile_Load_AllocatesBudgetsPlusHeadroom()
    {
        using var tiny = new TinyLlama();

        long bytes = (long)CompiledRun.RunnerMethod(TinyLlama.Profile(tiny.Fingerprint(), decode: "grow"), "CacheBytes").Invoke(null, [tiny.Directory, 5])!;

        // (Σ budgets 3 × (12 + 20) + 6 units × 5 headroom) × head dim 8 × K and V × fp32.
        Assert.Equal(((3L * 32) + (6 * 5)) * 8 * 2 * 4, bytes);
    }

    [Fact]
    public void CompiledFixedProfile_GrowTokens_AreIgnored()
    {
        using var tiny = new TinyLlama();

        long bytes = (long)CompiledRun.RunnerMethod(TinyLlama.Profile(tiny.Fingerprint()), "CacheBytes").Invoke(null, [tiny.Directory, 5])!;

        Assert.Equal(3L * 32 * 8 * 2 * 4, bytes);
    }

    public static TheoryData<string> CommittedProfiles()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "profiles"), "*.uncomp.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    [FixtureModelTheory]
    [MemberData(nameof(CommittedProfiles))]
    public void CompiledCommittedProfile_NeedlePrompt_MatchesFromProfile(string fileName)
    {
        string json = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "profiles", fileName));
        UncompProfile profile = ProfileLoader.Parse(json);
        // profiles/<model>[-variant].uncomp.json is calibrated for models/<model> (the fixture, the evaluation model).
        string stem = fileName[..^".uncomp.json".Length];
        string? modelDirectory = Directory.GetDirectories(Path.Combine(TestPaths.RepositoryRoot, "models"))
            .Where(d => stem == Path.GetFileName(d) || stem.StartsWith(Path.GetFileName(d) + "-", StringComparison.Ordinal))
            .OrderByDescending(d => d.Length).FirstOrDefault();
        Assert.True(modelDirectory is not null, $"profiles/{fileName} names no folder under models/: name a committed profile after the model it was calibrated for");
        var tokenizer = Tokenizer.FromFile(Path.Combine(modelDirectory, "tokenizer.json"));
        string haystack = File.ReadAllText(Path.Combine(modelDirectory, "haystack.txt"));
        int budget = profile.Layers.Max(l => l.Budgets.Max());
        int[] prompt = tokenizer.EncodeToIds(haystack[..20_000]).Take(budget + 200).ToArray();
        Assert.True(prompt.Length > budget, "the prompt must be longer than every budget so eviction happens");
        const int steps = 8;

        RunTrace compiled = CompiledRun.Compiled(json, modelDirectory, prompt, steps, className: profile.Name + "Compiled");
        RunTrace interpreted;
        using (LlamaModel model = LlamaModel.Load(modelDirectory))
        {
            CompressionSetup setup = UncompCompression.FromProfile(profile, model.Config);
            interpreted = CompiledRun.Interpreted(model, setup.Plan.ToLayout(), prompt, steps, setup.Hooks);
        }

        compiled.AssertEquivalentTo(interpreted);
    }
}
