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
    /// <summary>Calls the generated model through arrays (reflection cannot pass spans).</summary>
    private const string Runner = """
        namespace Harness
        {
            public static class Runner
            {
                public static float[][] Run(string directory, int[] prompt, int steps, global::UNComp.Runtime.Compression.CompressionHooks? hooks)
                {
                    using var model = global::Tests.TinyLlamaCompiled.Load(directory, global::System.Math.Max(64, prompt.Length + steps + 1), hooks);
                    var rows = new global::System.Collections.Generic.List<float[]>();
                    var logits = new float[global::Tests.TinyLlamaCompiled.VocabSize];
                    model.Prefill(prompt, logits);
                    rows.Add((float[])logits.Clone());
                    for (int s = 0; s < steps; s++)
                    {
                        model.Decode(global::System.Array.IndexOf(logits, global::System.Linq.Enumerable.Max(logits)), logits);
                        rows.Add((float[])logits.Clone());
                    }

                    return rows.ToArray();
                }

                public static long CacheBytes(string directory)
                {
                    using var model = global::Tests.TinyLlamaCompiled.Load(directory);
                    return model.Cache.Bytes;
                }
            }
        }
        """;

    private static readonly TestOptionsProvider TestsNamespace = GeneratorHarness.Options(new Dictionary<string, string> { ["build_property.RootNamespace"] = "Tests" });

    [Fact]
    public void Generate_WithRuntimeReference_MatchesVerifiedRuntimeSnapshot()
    {
        (GeneratorRunResult result, _) = GeneratorHarness.RunOn(
            GeneratorHarness.RuntimeCompilation(), null, new InMemoryAdditionalText("/repo/profiles/gqa-two-groups.uncomp.json", TestPaths.ReadProfile("gqa-two-groups.uncomp.json")));

        Assert.Empty(result.Diagnostics);
        Assert.Equal(2, result.GeneratedSources.Length);
        SnapshotVerifier.Verify("gqa-two-groups.Runtime", result.GeneratedSources.Single(s => s.HintName.EndsWith(".Runtime.g.cs", StringComparison.Ordinal)).SourceText.ToString());
    }

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
    public void CompiledModel_SameHooksAsInterpretedEngine_GivesIdenticalTokensAndLogits()
    {
        using var tiny = new TinyLlama();
        string profileJson = TinyLlama.Profile(tiny.Fingerprint());
        int[] prompt = Enumerable.Range(0, 40).Select(i => (i * 7 + 3) % TinyLlama.Vocab).ToArray();
        var hooks = new CompressionHooks { Policy = new KeepRecentPolicy() };
        const int steps = 8;

        float[][] compiled = (float[][])RunnerMethod(profileJson, "Run").Invoke(null, [tiny.Directory, prompt, steps, hooks])!;
        float[][] interpreted = Interpret(tiny.Directory, ProfileLoader.Parse(profileJson), prompt, steps, hooks);

        Assert.Equal(interpreted.Length, compiled.Length);
        for (int row = 0; row < compiled.Length; row++)
        {
            Assert.Equal(ArgMax(interpreted[row]), ArgMax(compiled[row]));
            for (int i = 0; i < compiled[row].Length; i++)
            {
                Assert.True(Math.Abs(compiled[row][i] - interpreted[row][i]) <= 1e-5f, $"row {row}, logit {i}: {compiled[row][i]} vs {interpreted[row][i]}");
            }
        }
    }

    [Fact]
    public void CompiledModel_Load_AllocatesExactlyTheCompiledKvBytes()
    {
        using var tiny = new TinyLlama();

        long bytes = (long)RunnerMethod(TinyLlama.Profile(tiny.Fingerprint()), "CacheBytes").Invoke(null, [tiny.Directory])!;

        // Σ budgets (3 layers × (12 + 20)) × head dim 8 × K and V × fp32.
        Assert.Equal(3L * 32 * 8 * 2 * 4, bytes);
    }

    [Fact]
    public void CompiledModel_OtherModelsFingerprint_ThrowsNamingBothFingerprints()
    {
        using var tiny = new TinyLlama();
        string wrong = "sha256:" + new string('0', 64);

        var error = Assert.Throws<TargetInvocationException>(() => RunnerMethod(TinyLlama.Profile(wrong), "CacheBytes").Invoke(null, [tiny.Directory]));

        var mismatch = Assert.IsType<ModelFingerprintMismatchException>(error.InnerException);
        Assert.Contains(wrong, mismatch.Message);
        Assert.Contains(tiny.Fingerprint(), mismatch.Message);
    }

    internal static float[][] Interpret(string directory, UncompProfile profile, int[] prompt, int steps, CompressionHooks hooks)
    {
        using LlamaModel model = LlamaModel.Load(directory);
        KvCacheLayout layout = KvCacheLayout.FromCapacities(model.Config, profile.Layers.Select(l => l.Budgets.ToArray()).ToArray(), UNComp.Runtime.Cache.CacheGranularity.KvHead);
        return Interpret(model, layout, prompt, steps, hooks);
    }

    internal static float[][] Interpret(LlamaModel model, KvCacheLayout layout, int[] prompt, int steps, CompressionHooks hooks)
    {
        var engine = new InferenceEngine(model, Math.Max(64, Math.Max(prompt.Length + steps + 1, layout.MaxCapacity)));
        using KvCache cache = InferenceEngine.CreateCache(layout, hooks);
        var rows = new List<float[]>();
        var logits = new float[model.Config.VocabSize];
        engine.Prefill(prompt, cache, hooks, logits);
        rows.Add((float[])logits.Clone());
        for (int s = 0; s < steps; s++)
        {
            engine.Decode(ArgMax(logits), cache, hooks, logits);
            rows.Add((float[])logits.Clone());
        }

        return rows.ToArray();
    }

    internal static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

    /// <summary>Compiles <paramref name="profileJson"/> plus the runner (calling class <paramref name="className"/>) and returns a runner method.</summary>
    internal static MethodInfo RunnerMethod(string profileJson, string name, string className = "TinyLlamaCompiled")
    {
        (GeneratorRunResult result, Compilation output) = GeneratorHarness.RunOn(
            GeneratorHarness.RuntimeCompilation(Runner.Replace("TinyLlamaCompiled", className, StringComparison.Ordinal)), TestsNamespace, new InMemoryAdditionalText("/p/tiny.uncomp.json", profileJson));
        Assert.Empty(result.Diagnostics);
        using var stream = new MemoryStream();
        var emit = output.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        stream.Position = 0;
        Assembly assembly = new AssemblyLoadContext("compiled-" + Guid.NewGuid().ToString("N"), isCollectible: true).LoadFromStream(stream);
        return assembly.GetType("Harness.Runner", throwOnError: true)!.GetMethod(name)!;
    }
}
