using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using UNComp.Generators.Diagnostics;
using UNComp.Generators.Tests.Infrastructure;

namespace UNComp.Generators.Tests;

/// <summary>
/// One broken profile per diagnostic: each case edits a valid test profile (first occurrence of <c>from</c>) and
/// expects the id at the marker, where <c>^</c> marks the exact line/column inside a unique snippet of the edited text.
/// </summary>
public class DiagnosticTests
{
    private const string Gqa = "gqa-two-groups.uncomp.json";
    private const string Mha = "mha-stages-off.uncomp.json";

    [Theory]
    [InlineData("UNC0001", Gqa, "\"window\": 8,", "\"window\": 8,,", "8,^,")]
    [InlineData("UNC0001", Gqa, "\"layers\": [", "\"layers\": [\"unterminated", "\"layers\": [^\"unterminated")]
    [InlineData("UNC0002", Gqa, "uncomp-profile/1", "uncomp-profile/2", "^\"uncomp-profile/2\"")]
    [InlineData("UNC0003", Gqa, "    \"window\": 8,\n", "", "\"compression\": ^{")]
    [InlineData("UNC0003", Gqa, "      \"budgets\": [256, 512]\n", "      \"budgetz\": [256, 512]\n", "    ^{\n      \"layer\": 0,")]
    [InlineData("UNC0004", Gqa, "\"numLayers\": 6", "\"numLayers\": \"6\"", "\"numLayers\": ^\"6\"")]
    [InlineData("UNC0004", Gqa, "\"window\": 8", "\"window\": 8.5", "\"window\": ^8.5")]
    [InlineData("UNC0004", Gqa, "\"groups\": [0, 1]", "\"groups\": [0, true]", "\"groups\": [0, ^true]")]
    [InlineData("UNC0005", Gqa, "\"numKeyValueHeads\": 2", "\"numKeyValueHeads\": 3", "\"numKeyValueHeads\": ^3")]
    [InlineData("UNC0005", Gqa, "\"hiddenSize\": 256", "\"hiddenSize\": 0", "\"hiddenSize\": ^0")]
    [InlineData("UNC0006", Gqa, "\"layer\": 3,", "\"layer\": 7,", "\"layer\": ^7")]
    [InlineData("UNC0006", Gqa, "\"numLayers\": 6", "\"numLayers\": 7", "\"layers\": ^[")]
    [InlineData("UNC0007", Gqa, "\"budgets\": [256, 512]", "\"budgets\": [256, 512, 256]", "\"budgets\": ^[256, 512, 256]")]
    [InlineData("UNC0007", Gqa, "\"entropy\": [0.4267, ", "\"entropy\": [", "\"entropy\": ^[0.3056")]
    [InlineData("UNC0008", Gqa, "\"groups\": [0, 1]", "\"groups\": [0, 2]", "\"groups\": [0, ^2]")]
    [InlineData("UNC0008", Gqa, "\"groups\": [0, 1]", "\"groups\": [-1, 1]", "\"groups\": [^-1, 1]")]
    [InlineData("UNC0009", Mha, "\"groups\": [0, 1, 0, 1]", "\"groups\": [0, 0, 0, 1]", "\"groups\": ^[0, 0, 0, 1]")]
    [InlineData("UNC0010", Gqa, "\"budgets\": [256, 512]", "\"budgets\": [4, 764]", "\"budgets\": [^4, 764]")]
    [InlineData("UNC0011", Gqa, "\"meanBudget\": 384", "\"meanBudget\": 400", "\"meanBudget\": ^400")]
    [InlineData("UNC0012", Gqa, "\"groups\": [0, 1],\n      \"budgets\": [256, 512]", "\"groups\": [0, 1],\n      \"budgets\": [512, 256]", "\"groups\": [0, 1],\n      \"budgets\": [512, ^256]")]
    [InlineData("UNC0013", Gqa, "1.3333333333333333]", "-1.3333333333333333]", ", ^-1.3333333333333333]")]
    [InlineData("UNC0013", Gqa, "[0.6666666666666666, 1.3333333333333333]", "[1.0]", "\"groupWeights\": ^[1.0]")]
    [InlineData("UNC0014", Gqa, "{\"firstLayer\": 2,", "{\"firstLayer\": 3,", "\"firstLayer\": ^3")]
    [InlineData("UNC0014", Gqa, "\"lastLayer\": 5", "\"lastLayer\": 4", "\"lastLayer\": ^4")]
    [InlineData("UNC0014", Gqa, "\"stages\": [\n    {\"firstLayer\": 0, \"lastLayer\": 1, \"keepTokens\": 4096},\n    {\"firstLayer\": 2, \"lastLayer\": 5, \"keepTokens\": 1536}\n  ]", "\"stages\": []", "\"stages\": ^[]")]
    [InlineData("UNC0015", Gqa, "\"keepTokens\": 1536}", "\"keepTokens\": 5000}", "\"keepTokens\": ^5000")]
    [InlineData("UNC0015", Gqa, "\"keepTokens\": 1536}", "\"keepTokens\": 4}", "\"keepTokens\": ^4}")]
    [InlineData("UNC0016", Gqa, "{\"enabled\": true", "{\"enabled\": false", "\"stages\": ^[")]
    [InlineData("UNC0017", Gqa, "\"name\": \"FixtureLlama\"", "\"name\": \"Fixture-Llama\"", "\"name\": ^\"Fixture-Llama\"")]
    [InlineData("UNC0017", Gqa, "\"name\": \"FixtureLlama\"", "\"name\": \"class\"", "\"name\": ^\"class\"")]
    [InlineData("UNC0019", Gqa, "\"granularity\": \"kvHead\"", "\"granularity\": \"perHead\"", "\"granularity\": ^\"perHead\"")]
    [InlineData("UNC0019", Gqa, "\"architecture\": \"LlamaForCausalLM\"", "\"architecture\": \"GPT2LMHeadModel\"", "\"architecture\": ^\"GPT2")]
    [InlineData("UNC0019", Gqa, "\"decode\": \"fixed\"", "\"decode\": \"shrink\"", "\"decode\": ^\"shrink\"")]
    [InlineData("UNC0020", Gqa, "\"poolKernel\": 7", "\"poolKernel\": 6", "\"poolKernel\": ^6")]
    [InlineData("UNC0020", Gqa, "\"truncationK\": 8", "\"truncationK\": 40", "\"truncationK\": ^40")]
    [InlineData("UNC0020", Gqa, "\"window\": 8", "\"window\": 99999999999", "\"window\": ^9999")]
    [InlineData("UNC0021", Gqa, "\"fingerprint\": \"sha256:", "\"fingerprint\": \"SHA256:", "\"fingerprint\": ^\"SHA256:")]
    public void Generate_BrokenProfile_ReportsIdAtJsonValue(string id, string profile, string from, string to, string marker)
    {
        string text = ReplaceFirst(TestPaths.ReadProfile(profile), from, to);

        GeneratorRunResult result = GeneratorHarness.RunText(text, "/p/broken.uncomp.json");

        LinePosition expected = PositionOf(text, marker);
        Diagnostic[] matching = result.Diagnostics.Where(d => d.Id == id).ToArray();
        Assert.True(matching.Length > 0, $"expected {id}, got: {string.Join("; ", result.Diagnostics)}");
        Assert.Contains(matching, d => d.Location.GetLineSpan().StartLinePosition == expected && d.Location.GetLineSpan().Path == "/p/broken.uncomp.json");
        if (DiagnosticDescriptorTable.Find(id).DefaultSeverity == DiagnosticSeverity.Error)
        {
            Assert.Empty(result.GeneratedSources);
        }
        else
        {
            Assert.Single(result.GeneratedSources);
        }
    }

    [Fact]
    public void Generate_CrLfLineEndings_ReportsSameLineAndColumn()
    {
        string text = ReplaceFirst(TestPaths.ReadProfile(Gqa), "\"poolKernel\": 7", "\"poolKernel\": 6");

        Diagnostic lf = Assert.Single(GeneratorHarness.RunText(text).Diagnostics);
        Diagnostic crlf = Assert.Single(GeneratorHarness.RunText(text.Replace("\n", "\r\n")).Diagnostics);

        Assert.Equal(lf.Location.GetLineSpan().Span, crlf.Location.GetLineSpan().Span);
        Assert.Equal(new LinePosition(30, 18), lf.Location.GetLineSpan().StartLinePosition);
    }

    [Fact]
    public void Generate_ProblemsInSeveralBlocks_ReportsEveryOne()
    {
        string text = ReplaceFirst(ReplaceFirst(TestPaths.ReadProfile(Gqa), "\"poolKernel\": 7", "\"poolKernel\": 6"), "\"numLayers\": 6", "\"numLayers\": \"6\"");

        string[] ids = GeneratorHarness.RunText(text).Diagnostics.Select(d => d.Id).OrderBy(i => i).ToArray();

        Assert.Equal(new[] { "UNC0004", "UNC0020" }, ids);
    }

    [Fact]
    public void Generate_TwoProfilesWithSameName_ReportsUNC0018OnBothAndEmitsNeither()
    {
        string text = TestPaths.ReadProfile(Gqa);

        GeneratorRunResult result = GeneratorHarness.Run(new InMemoryAdditionalText("/p/a.uncomp.json", text), new InMemoryAdditionalText("/p/b.uncomp.json", "\n" + text));

        Diagnostic[] duplicates = result.Diagnostics.Where(d => d.Id == "UNC0018").OrderBy(d => d.Location.GetLineSpan().Path).ToArray();
        Assert.Equal(2, duplicates.Length);
        Assert.Equal(new LinePosition(2, 10), duplicates[0].Location.GetLineSpan().StartLinePosition);
        Assert.Equal(new LinePosition(3, 10), duplicates[1].Location.GetLineSpan().StartLinePosition);
        Assert.Contains("'a.uncomp.json', 'b.uncomp.json'", duplicates[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void Generate_InvalidClassNameMetadata_ReportsUNC0017()
    {
        const string path = "/p/gqa.uncomp.json";
        var options = GeneratorHarness.Options(file: path, metadata: new Dictionary<string, string> { ["build_metadata.AdditionalFiles.UNCompClassName"] = "1Bad" });

        GeneratorRunResult result = GeneratorHarness.RunWithOutput(options, new InMemoryAdditionalText(path, TestPaths.ReadProfile(Gqa))).Result;

        Assert.Equal("UNC0017", Assert.Single(result.Diagnostics).Id);
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void Generate_InvalidNamespaceProperty_ReportsUNC0022NamingTheProperty()
    {
        var options = GeneratorHarness.Options(new Dictionary<string, string> { ["build_property.UNCompNamespace"] = "My..Models" });

        GeneratorRunResult result = GeneratorHarness.RunWithOutput(options, new InMemoryAdditionalText("/p/gqa.uncomp.json", TestPaths.ReadProfile(Gqa))).Result;

        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("UNC0022", diagnostic.Id);
        Assert.Contains("UNCompNamespace", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Generate_UnreadableFile_ReportsUNC0023()
    {
        GeneratorRunResult result = GeneratorHarness.Run(new InMemoryAdditionalText("/p/gone.uncomp.json", null));

        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("UNC0023", diagnostic.Id);
        Assert.Equal("/p/gone.uncomp.json", diagnostic.Location.GetLineSpan().Path);
    }

    [Fact]
    public void Generate_ProfileItemWithoutProfileSuffix_ReportsUNC0024NamingTheRename()
    {
        const string path = "/repo/profiles/fixture.json";
        var options = GeneratorHarness.Options(file: path, metadata: new Dictionary<string, string> { ["build_metadata.AdditionalFiles.UNCompProfileItem"] = "true" });

        GeneratorRunResult result = GeneratorHarness.RunWithOutput(options, new InMemoryAdditionalText(path, TestPaths.ReadProfile("gqa-two-groups.uncomp.json"))).Result;

        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("UNC0024", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(path, diagnostic.Location.GetLineSpan().Path);
        Assert.Contains("'fixture.json'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("'fixture.uncomp.json'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void Generate_OtherAdditionalFileWithoutProfileSuffix_IsIgnoredSilently()
    {
        GeneratorRunResult result = GeneratorHarness.RunText(TestPaths.ReadProfile("gqa-two-groups.uncomp.json"), "/repo/profiles/fixture.json");

        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void Generate_MalformedJson_MessageNamesFileAndProblem()
    {
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.RunText("{\n  \"format\": \"uncomp-profile/1\"\n  \"name\": 1\n}", "/p/x.uncomp.json").Diagnostics);

        Assert.Equal("UNC0001", diagnostic.Id);
        Assert.Equal("Profile 'x.uncomp.json' is not valid JSON: unexpected character '\"', expected ',' or '}'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new LinePosition(2, 2), diagnostic.Location.GetLineSpan().StartLinePosition);
    }

    [Fact]
    public void DescriptorTable_EveryDescriptor_HasUniqueIdAndIsInUnshippedReleases()
    {
        string releases = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "src", "Generators", "UNComp.Generators", "AnalyzerReleases.Unshipped.md"));

        Assert.Equal(DiagnosticDescriptorTable.All.Count, DiagnosticDescriptorTable.All.Select(d => d.Id).Distinct().Count());
        foreach (DiagnosticDescriptor descriptor in DiagnosticDescriptorTable.All)
        {
            Assert.Contains($"{descriptor.Id} | UNComp.Profile | {descriptor.DefaultSeverity} |", releases);
            Assert.Same(descriptor, DiagnosticDescriptorTable.Find(descriptor.Id));
        }
    }

    private static string ReplaceFirst(string text, string from, string to)
    {
        int index = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(index >= 0, $"test setup: '{from}' not found in the profile");
        return text[..index] + to + text[(index + from.Length)..];
    }

    private static LinePosition PositionOf(string text, string marker)
    {
        int caret = marker.IndexOf('^');
        string snippet = marker.Remove(caret, 1);
        int index = text.IndexOf(snippet, StringComparison.Ordinal);
        Assert.True(index >= 0, $"test setup: marker '{snippet}' not found");
        Assert.True(text.IndexOf(snippet, index + 1, StringComparison.Ordinal) < 0, $"test setup: marker '{snippet}' is not unique");
        return SourceText.From(text).Lines.GetLinePosition(index + caret);
    }
}
