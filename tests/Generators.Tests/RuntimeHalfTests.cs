using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using UNComp.Generators.Tests.Infrastructure;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Generators.Tests;

/// <summary>
/// The runtime half of the generated class (emitted when the consumer references UNComp.Runtime): snapshot,
/// clean compile, and end-to-end equivalence with the runtime's interpreted path on a small random model.
/// </summary>
public class RuntimeHalfTests
{
    [Theory]
    [InlineData("gqa-two-groups")]
    [InlineData("query-head-eight-groups")]
    [InlineData("mha-stages-off")]
    public void GeneratedRuntimeHalf_Compiles_WithoutErrorsOrWarnings(string profile)
    {
        (GeneratorRunResult result, Compilation output) = GeneratorHarness.RunOn(
            GeneratorHarness.RuntimeCompilation(), null, new InMemoryAdditionalText($"/p/{profile}.uncomp.json", TestPaths.ReadProfile(profile + ".uncomp.json")));

        Assert.Equal(2, result.GeneratedSources.Length);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void CompiledModel_SameHooksAsInterpretedEngine_GivesIdenticalTokensAndPositions()
    {
        using var tiny = new TinyLlama();
        string profileJson = TinyLlama.Profile(tiny.Fingerprint());
        int[] prompt = Enumerable.Range(0, 40).Select(i => (i * 7 + 3) % TinyLlama.Vocab).ToArray();
        var hooks = new CompressionHooks { Policy = new KeepRecentPolicy() };
        const int steps = 8;

        RunTrace compiled = CompiledRun.Compiled(profileJson, tiny.Directory, prompt, steps, hooks);
        RunTrace interpreted;
        using (LlamaModel model = LlamaModel.Load(tiny.Directory))
        {
            UncompProfile profile = ProfileLoader.Parse(profileJson);
            KvCacheLayout layout = KvCacheLayout.FromCapacities(model.Config, profile.Layers.Select(l => l.Budgets.ToArray()).ToArray(), UNComp.Runtime.Cache.CacheGranularity.KvHead);
            interpreted = CompiledRun.Interpreted(model, layout, prompt, steps, hooks);
        }

        compiled.AssertEquivalentTo(interpreted);
    }

    [Fact]
    public void CompiledModel_Load_AllocatesExactlyTheCompiledKvBytes()
    {
        using var tiny = new TinyLlama();

        long bytes = (long)CompiledRun.RunnerMethod(TinyLlama.Profile(tiny.Fingerprint()), "CacheBytes").Invoke(null, [tiny.Directory, 0])!;

        // Σ budgets (3 layers × (12 + 20)) × head dim 8 × K and V × fp32.
        Assert.Equal(3L * 32 * 8 * 2 * 4, bytes);
    }

    [Fact]
    public void CompiledModel_OtherModelsFingerprint_ThrowsNamingBothFingerprints()
    {
        using var tiny = new TinyLlama();
        string wrong = "sha256:" + new string('0', 64);

        var error = Assert.Throws<TargetInvocationException>(() => CompiledRun.RunnerMethod(TinyLlama.Profile(wrong), "CacheBytes").Invoke(null, [tiny.Directory, 0]));

        var mismatch = Assert.IsType<ModelFingerprintMismatchException>(error.InnerException);
        Assert.Contains(wrong, mismatch.Message);
        Assert.Contains(tiny.Fingerprint(), mismatch.Message);
    }
}
