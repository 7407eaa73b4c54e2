using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;

namespace UNComp.Generators.Tests.Infrastructure;

/// <summary>
/// What one greedy generation left behind: the logits of the prompt's last token and of every decoded token, and
/// the absolute positions each cache unit held after prefill and after the last decode step (layer-major, then unit).
/// </summary>
internal sealed record RunTrace(float[][] Logits, int[][] PrefillPositions, int[][] FinalPositions)
{
    public int[] Tokens => Logits.Select(ArgMax).ToArray();

    public static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

    /// <summary>Same greedy tokens, same kept positions in every unit at both moments, logits within 1e-5.</summary>
    public void AssertEquivalentTo(RunTrace expected)
    {
        Assert.Equal(expected.Tokens, Tokens);
        Assert.Equal(expected.PrefillPositions.Length, PrefillPositions.Length);
        for (int i = 0; i < PrefillPositions.Length; i++)
        {
            Assert.Equal(expected.PrefillPositions[i], PrefillPositions[i]);
            Assert.Equal(expected.FinalPositions[i], FinalPositions[i]);
        }

        for (int row = 0; row < Logits.Length; row++)
        {
            for (int i = 0; i < Logits[row].Length; i++)
            {
                Assert.True(Math.Abs(Logits[row][i] - expected.Logits[row][i]) <= 1e-5f, $"row {row}, logit {i}: {Logits[row][i]} vs {expected.Logits[row][i]}");
            }
        }
    }

    public static int[][] Positions(KvCache cache)
    {
        var rows = new List<int[]>();
        for (int l = 0; l < cache.Layout.Layers; l++)
        {
            for (int u = 0; u < cache.Layout.UnitsPerLayer; u++)
            {
                rows.Add(cache.Positions(l, u).ToArray());
            }
        }

        return rows.ToArray();
    }
}

/// <summary>
/// Runs generated classes: compiles a profile plus a small runner against UNComp.Runtime, loads the assembly in a
/// collectible context and calls the runner; and runs the runtime's interpreted path for comparison.
/// </summary>
internal static class CompiledRun
{
    /// <summary>Calls the generated model through arrays (reflection cannot pass spans).</summary>
    private const string Runner = """
        namespace Harness
        {
            public static class Runner
            {
                public static object[] Run(string directory, int[] prompt, int steps, global::UNComp.Runtime.Compression.CompressionHooks? hooks, int growTokens)
                {
                    using var model = global::Tests.TinyLlamaCompiled.Load(directory, global::System.Math.Max(64, prompt.Length + steps + 1), hooks, growTokens);
                    var rows = new global::System.Collections.Generic.List<float[]>();
                    var logits = new float[global::Tests.TinyLlamaCompiled.VocabSize];
                    model.Prefill(prompt, logits);
                    rows.Add((float[])logits.Clone());
                    int[][] prefill = Positions(model.Cache);
                    for (int s = 0; s < steps; s++)
                    {
                        model.Decode(global::System.Array.IndexOf(logits, global::System.Linq.Enumerable.Max(logits)), logits);
                        rows.Add((float[])logits.Clone());
                    }

                    return new object[] { rows.ToArray(), prefill, Positions(model.Cache) };
                }

                public static global::UNComp.Runtime.Compression.CompressionHooks Hooks() => global::Tests.TinyLlamaCompiled.CreateHooks();

                public static long CacheBytes(string directory, int growTokens)
                {
                    using var model = global::Tests.TinyLlamaCompiled.Load(directory, null, null, growTokens);
                    return model.Cache.Bytes;
                }

                private static int[][] Positions(global::UNComp.Runtime.Cache.KvCache cache)
                {
                    var rows = new global::System.Collections.Generic.List<int[]>();
                    for (int l = 0; l < cache.Layout.Layers; l++)
                    {
                        for (int u = 0; u < cache.Layout.UnitsPerLayer; u++)
                        {
                            rows.Add(cache.Positions(l, u).ToArray());
                        }
                    }

                    return rows.ToArray();
                }
            }
        }
        """;

    private static readonly TestOptionsProvider TestsNamespace = GeneratorHarness.Options(new Dictionary<string, string> { ["build_property.RootNamespace"] = "Tests" });

    /// <summary>Compiles <paramref name="profileJson"/> plus the runner (calling class <paramref name="className"/>) and returns a runner method.</summary>
    public static MethodInfo RunnerMethod(string profileJson, string name, string className = "TinyLlamaCompiled")
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

    /// <summary>The compiled class of <paramref name="profileJson"/>: greedy prefill + <paramref name="steps"/> decode steps.</summary>
    public static RunTrace Compiled(string profileJson, string modelDirectory, int[] prompt, int steps, CompressionHooks? hooks = null, int growTokens = 0, string className = "TinyLlamaCompiled")
    {
        var parts = (object[])RunnerMethod(profileJson, "Run", className).Invoke(null, [modelDirectory, prompt, steps, hooks, growTokens])!;
        return new RunTrace((float[][])parts[0], (int[][])parts[1], (int[][])parts[2]);
    }

    /// <summary>The runtime's engine with an explicit layout and hooks.</summary>
    public static RunTrace Interpreted(LlamaModel model, KvCacheLayout layout, int[] prompt, int steps, CompressionHooks hooks)
    {
        var engine = new InferenceEngine(model, Math.Max(64, Math.Max(prompt.Length + steps + 1, layout.MaxCapacity)));
        using KvCache cache = InferenceEngine.CreateCache(layout, hooks);
        var rows = new List<float[]>();
        var logits = new float[model.Config.VocabSize];
        engine.Prefill(prompt, cache, hooks, logits);
        rows.Add((float[])logits.Clone());
        int[][] prefill = RunTrace.Positions(cache);
        for (int s = 0; s < steps; s++)
        {
            engine.Decode(RunTrace.ArgMax(logits), cache, hooks, logits);
            rows.Add((float[])logits.Clone());
        }

        return new RunTrace(rows.ToArray(), prefill, RunTrace.Positions(cache));
    }
}
