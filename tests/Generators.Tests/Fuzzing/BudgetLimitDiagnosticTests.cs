using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using UNComp.Generators.Tests.Infrastructure;

namespace UNComp.Generators.Tests.Fuzzing;

/// <summary>
/// Hostile budgets (issue 14): budgets beyond the model's context are UNC0030 at the budget's JSON line/column,
/// and no code is emitted, so a build never fails inside generated code (it failed with CS0220 at 1e9).
/// </summary>
public class BudgetLimitDiagnosticTests
{
    [Fact]
    public void Generate_BudgetAboveContext_ReportsUNC0030AtTheBudget()
    {
        string text = ReplaceFirst(TestPaths.ReadProfile("gqa-two-groups.uncomp.json"), "\"budgets\": [256, 512]", "\"budgets\": [256, 4097]");

        GeneratorRunResult result = GeneratorHarness.RunText(text, "/p/hostile.uncomp.json");

        Diagnostic d = Assert.Single(result.Diagnostics, d => d.Id == "UNC0030");
        Assert.Equal(Position(text, "\"budgets\": [256, ^4097]"), d.Location.GetLineSpan().StartLinePosition);
        Assert.Contains("$.layers[0].budgets[1]: budget 4097 exceeds model.maxPositionEmbeddings 4096", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(result.GeneratedSources);
    }

    [Theory]
    [InlineData(10_000_000)]
    [InlineData(1_000_000_000)]
    public void Generate_EveryBudgetHostileWithMatchingMean_ReportsUNC0030OnEachAndCompilesClean(int budget)
    {
        string b = budget.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string text = Regex.Replace(TestPaths.ReadProfile("gqa-two-groups.uncomp.json"), "\"budgets\": \\[\\d+, \\d+\\]", $"\"budgets\": [{b}, {b}]");
        text = ReplaceFirst(text, "\"meanBudget\": 384", $"\"meanBudget\": {b}");

        (GeneratorRunResult result, Compilation output) = GeneratorHarness.RunWithOutput(null, new InMemoryAdditionalText("/p/hostile.uncomp.json", text));

        Assert.Equal(12, result.Diagnostics.Count(d => d.Id == "UNC0030"));
        Assert.Empty(result.GeneratedSources);
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void Generate_ContextTooLargeToIndex_ReportsUNC0020AtMaxPositionEmbeddings()
    {
        string text = ReplaceFirst(TestPaths.ReadProfile("gqa-two-groups.uncomp.json"), "\"maxPositionEmbeddings\": 4096", "\"maxPositionEmbeddings\": 2147483647");

        GeneratorRunResult result = GeneratorHarness.RunText(text, "/p/hostile.uncomp.json");

        Diagnostic d = Assert.Single(result.Diagnostics, d => d.Id == "UNC0020");
        Assert.Equal(Position(text, "\"maxPositionEmbeddings\": ^2147483647"), d.Location.GetLineSpan().StartLinePosition);
        Assert.Empty(result.GeneratedSources);
    }

    private static string ReplaceFirst(string text, string from, string to)
    {
        int at = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{from}' not found");
        return string.Concat(text.AsSpan(0, at), to, text.AsSpan(at + from.Length));
    }

    private static LinePosition Position(string text, string marker)
    {
        int caret = marker.IndexOf('^', StringComparison.Ordinal);
        int at = text.IndexOf(marker.Remove(caret, 1), StringComparison.Ordinal) + caret;
        string before = text[..at];
        int line = before.Count(c => c == '\n');
        return new LinePosition(line, at - (before.LastIndexOf('\n') + 1));
    }
}
