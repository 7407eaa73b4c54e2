using Microsoft.CodeAnalysis;
using UNComp.Generators.Tests.Infrastructure;
using UNComp.Runtime.Profiles;

namespace UNComp.Generators.Tests;

/// <summary>The generator and the runtime read and write the same format: what one accepts, the other does.</summary>
public class RuntimeInteropTests
{
    [Theory]
    [InlineData("gqa-two-groups")]
    [InlineData("query-head-eight-groups")]
    [InlineData("mha-stages-off")]
    public void Generate_ProfileRewrittenByRuntimeWriter_EmitsTheSameSource(string profile)
    {
        string original = TestPaths.ReadProfile(profile + ".uncomp.json");
        Assert.Empty(ProfileValidator.Validate(ProfileLoader.Parse(original)));
        string rewritten = ProfileWriter.Write(ProfileLoader.Parse(original));

        GeneratorRunResult fromOriginal = GeneratorHarness.RunText(original, $"/p/{profile}.uncomp.json");
        GeneratorRunResult fromRewritten = GeneratorHarness.RunText(rewritten, $"/p/{profile}.uncomp.json");

        Assert.Empty(fromRewritten.Diagnostics);
        Assert.Equal(Assert.Single(fromOriginal.GeneratedSources).SourceText.ToString(), Assert.Single(fromRewritten.GeneratedSources).SourceText.ToString());
    }

    [Theory]
    [InlineData("\"meanBudget\": 384", "\"meanBudget\": 400")]
    [InlineData("\"poolKernel\": 7", "\"poolKernel\": 6")]
    [InlineData("\"groups\": [0, 1]", "\"groups\": [0, 2]")]
    [InlineData("{\"firstLayer\": 2,", "{\"firstLayer\": 3,")]
    // Rules the two hand-kept copies disagreed on before src/Shared/ProfileFormatRules.cs: the generator accepted these.
    [InlineData("\"minKeep\": 1536", "\"minKeep\": 4")]
    [InlineData("\"maxTokens\": 4096", "\"maxTokens\": 1000")]
    public void BrokenProfile_RejectedByGenerator_IsAlsoRejectedByRuntimeValidator(string from, string to)
    {
        string text = TestPaths.ReadProfile("gqa-two-groups.uncomp.json");
        int at = text.IndexOf(from, StringComparison.Ordinal);
        text = text[..at] + to + text[(at + from.Length)..];

        Assert.Contains(GeneratorHarness.RunText(text).Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.NotEmpty(ProfileValidator.Validate(ProfileLoader.ParseUnvalidated(text)));
    }
}
