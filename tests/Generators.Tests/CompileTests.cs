using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using UNComp.Generators.Tests.Infrastructure;

namespace UNComp.Generators.Tests;

/// <summary>The generated class compiles cleanly and its constants agree with the profile.</summary>
public class CompileTests
{
    [Theory]
    [InlineData("gqa-two-groups")]
    [InlineData("query-head-eight-groups")]
    [InlineData("mha-stages-off")]
    public void GeneratedSource_Compiles_WithoutErrorsOrWarnings(string profile)
    {
        (GeneratorRunResult result, Compilation output) = GeneratorHarness.RunWithOutput(
            null, new InMemoryAdditionalText($"/p/{profile}.uncomp.json", TestPaths.ReadProfile(profile + ".uncomp.json")));

        Assert.Empty(result.Diagnostics);
        // Documentation mode is on, so a public member without XML docs (CS1591) would show up here.
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void GeneratedConstants_GqaProfile_MatchBudgetsAndLayout()
    {
        Type type = CompileAndLoad("gqa-two-groups", "FixtureLlamaCompiled");

        Assert.Equal(512, Const<int>(type, "Layer0Unit1Budget"));
        Assert.Equal(256, Const<int>(type, "Layer1Unit1Budget"));
        Assert.Equal(2, Const<int>(type, "UnitsPerLayer"));
        Assert.Equal(4, Const<int>(type, "QueryHeadsPerUnit"));
        Assert.Equal(6L * 768, Const<long>(type, "KvCapacityTokens"));
        Assert.Equal(6L * 768 * 32, Const<long>(type, "KvElementCount"));
        Assert.Equal(2L * 6 * 768 * 32 * 4, Const<long>(type, "KvBytesFp32"));
        Assert.Equal(2L * 6 * 768 * 32 * 2, Const<long>(type, "KvBytesBf16"));
        Assert.Equal(1536, Const<int>(type, "Layer2KeepTokens"));
        // Layer 1 starts after layer 0's two units (256 + 512 tokens of 32 elements).
        Assert.Equal(768L * 32, Invoke<long>(type, "Offset", 1, 0));
        Assert.Equal(768L * 32 + 512 * 32, Invoke<long>(type, "Offset", 1, 1));
        Assert.Equal(512, Invoke<int>(type, "Budget", 0, 1));
        Assert.Equal(1, Invoke<int>(type, "Group", 1, 0));
    }

    [Fact]
    public void GeneratedOffsets_EveryProfile_ArePrefixSumsOfCapacityTimesHeadDim()
    {
        foreach ((string profile, string className) in new[] { ("gqa-two-groups", "FixtureLlamaCompiled"), ("query-head-eight-groups", "QueryEightCompiled"), ("mha-stages-off", "TinyMhaCompiled") })
        {
            Type type = CompileAndLoad(profile, className);
            int layers = Const<int>(type, "NumLayers");
            int units = Const<int>(type, "UnitsPerLayer");
            int headDim = Const<int>(type, "HeadDim");
            long expected = 0;
            for (int l = 0; l < layers; l++)
            {
                for (int u = 0; u < units; u++)
                {
                    Assert.Equal(expected, Invoke<long>(type, "Offset", l, u));
                    Assert.Equal(Const<int>(type, $"Layer{l}Unit{u}Budget"), Invoke<int>(type, "Budget", l, u));
                    expected += (long)Invoke<int>(type, "Budget", l, u) * headDim;
                }
            }

            Assert.Equal(expected, Const<long>(type, "KvElementCount"));
        }
    }

    private static Type CompileAndLoad(string profile, string className)
    {
        (_, Compilation output) = GeneratorHarness.RunWithOutput(null, new InMemoryAdditionalText($"/p/{profile}.uncomp.json", TestPaths.ReadProfile(profile + ".uncomp.json")));
        using var stream = new MemoryStream();
        var emit = output.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        stream.Position = 0;
        var context = new AssemblyLoadContext(profile, isCollectible: true);
        Assembly assembly = context.LoadFromStream(stream);
        return assembly.GetType(className, throwOnError: true)!;
    }

    private static T Const<T>(Type type, string name) => (T)type.GetField(name, BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue()!;

    private static T Invoke<T>(Type type, string name, params object[] args) => (T)type.GetMethod(name, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, args)!;
}
