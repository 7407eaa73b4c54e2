using Microsoft.CodeAnalysis;
using UNComp.Generators.Tests.Infrastructure;

namespace UNComp.Generators.Tests;

/// <summary>Generated source for each test profile, compared with the checked-in <c>Snapshots/*.verified.cs</c>.</summary>
public class SnapshotTests
{
    [Theory]
    [InlineData("gqa-two-groups")]
    [InlineData("query-head-eight-groups")]
    [InlineData("mha-stages-off")]
    public void Generate_TestProfile_MatchesVerifiedSnapshot(string profile)
    {
        GeneratorRunResult result = GeneratorHarness.RunText(TestPaths.ReadProfile(profile + ".uncomp.json"), $"/repo/profiles/{profile}.uncomp.json");

        Assert.Empty(result.Diagnostics);
        SnapshotVerifier.Verify(profile, Assert.Single(result.GeneratedSources).SourceText.ToString());
    }

    [Fact]
    public void Generate_ClassNameAndNamespaceMetadata_UsesOverrides()
    {
        const string path = "/repo/profiles/gqa-two-groups.uncomp.json";
        var options = GeneratorHarness.Options(
            new Dictionary<string, string> { ["build_property.RootNamespace"] = "Ignored.Root" },
            path,
            new Dictionary<string, string>
            {
                ["build_metadata.AdditionalFiles.UNCompClassName"] = "Fixture",
                ["build_metadata.AdditionalFiles.UNCompNamespace"] = "My.Models",
            });

        GeneratorRunResult result = GeneratorHarness.RunWithOutput(options, new InMemoryAdditionalText(path, TestPaths.ReadProfile("gqa-two-groups.uncomp.json"))).Result;

        GeneratedSourceResult source = Assert.Single(result.GeneratedSources);
        Assert.Equal("My.Models.Fixture.g.cs", source.HintName);
        string text = source.SourceText.ToString();
        Assert.Contains("namespace My.Models\n", text);
        Assert.Contains("public sealed partial class Fixture\n", text);
    }

    [Fact]
    public void Generate_RootNamespaceOnly_UsesRootNamespaceAndProfileName()
    {
        var options = GeneratorHarness.Options(new Dictionary<string, string> { ["build_property.RootNamespace"] = "Sample.App" });

        GeneratorRunResult result = GeneratorHarness.RunWithOutput(options, new InMemoryAdditionalText("/p/mha.uncomp.json", TestPaths.ReadProfile("mha-stages-off.uncomp.json"))).Result;

        Assert.Equal("Sample.App.TinyMhaCompiled.g.cs", Assert.Single(result.GeneratedSources).HintName);
    }

    [Fact]
    public void Generate_FileWithoutProfileSuffix_IsIgnored()
    {
        GeneratorRunResult result = GeneratorHarness.RunText("{ not json", "/p/notes.json");

        Assert.Empty(result.GeneratedSources);
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void UnifiedDiff_ChangedLine_ShowsHunkWithContext()
    {
        string diff = SnapshotVerifier.UnifiedDiff("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\nX\nf\ng\nh\n", "old", "new");

        Assert.Equal("--- old\n+++ new\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+X\n f\n g\n h\n", diff);
    }
}
