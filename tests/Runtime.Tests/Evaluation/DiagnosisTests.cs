using System.Text.RegularExpressions;
using UNComp.Runtime.Evaluation;
using UNComp.Runtime.Reporting;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Evaluation;

public class DiagnosisTests
{
    private static readonly string Haystack = string.Join('\n', Enumerable.Range(0, 200).Select(i => $"Line {i} of the haystack talks about nothing much at all."));

    [Fact]
    public void AnswerSpans_FindsBothCopiesOfThePassKey()
    {
        var codec = new AsciiCodec();
        var sample = new TaskGenerator(codec, Haystack, TaskTemplates.Default).Passkey(400, 0.5, 0, new Random(2));
        var spans = AnswerSpans.Find(sample, codec);
        Assert.Equal(2, spans.Count);
        Assert.All(spans, s => Assert.Equal(" " + sample.Answer, codec.Decode(sample.Tokens[s.Start..s.End], false)));
    }

    [Fact]
    public void Diagnosis_WholePromptBudget_EveryLayerAndUnitKeepsFullCacheAccuracy()
    {
        using var tiny = new TinyModel(new TinyModelSpec { Vocab = 128, Layers = 2, Heads = 4, KvHeads = 2 });
        using var model = tiny.Load();
        var options = new EvalOptions { Tasks = [EvalTask.Passkey], ContextLengths = [400], PasskeySamples = 3, Budgets = [1.0, 0.1], Methods = ["full", "snapkv"], MaxNewTokens = 3 };
        var runner = new EvalRunner(model, new AsciiCodec(), Haystack, options, null);
        var report = new SelectionDiagnosis(model, new AsciiCodec(), runner, null).Run(perUnit: true);

        // full, then per budget: all layers, 2 layers, 2 × 2 units
        Assert.Equal(1 + (2 * (1 + 2 + 4)), report.Accuracy.Count);
        var full = report.Accuracy.Single(r => r.Layer == -2);
        Assert.Equal(3, full.Samples);
        Assert.All(report.Accuracy.Where(r => r.Budget == 1.0), r => Assert.Equal(full.Correct, r.Correct));
        Assert.Equal(2 * 2 * 2, report.Locations.Count);
        foreach (var u in report.Locations)
        {
            Assert.Equal(1.0, u.ShareAnswer + u.ShareNear + u.ShareSink + u.ShareTail + u.ShareOther, 3);
        }

        // A whole-prompt budget keeps every answer token; a 10 % budget cannot keep more than it holds.
        Assert.All(report.Locations.Where(u => u.Budget == 1.0), u => Assert.Equal(1.0, u.AnswerRecall));
        Assert.All(report.Locations.Where(u => u.Budget == 0.1), u => Assert.InRange(u.Kept, 1, (0.1 * 404) + 1));

        string md = DiagnosisReportWriter.ToMarkdown(report);
        Assert.Contains("| layer 1 unit 1 |", md);
        Assert.Contains("## snapkv at 10%", md);
    }

    [Fact]
    public void LineChart_DrawsEachPointWithItsIntervalAndALegendPerSeries()
    {
        var chart = new LineChart(
        [
            new LineSeries("full cache", [(1.0, 0.9, 0.8, 0.95)], Reference: true),
            new LineSeries("snapkv", [(0.05, 0.2, 0.1, 0.35), (0.1, 0.5, 0.4, 0.6), (0.25, 0.8, 0.7, 0.88)]),
        ])
        {
            Title = "passkey",
            XTicks = [0.05, 0.1, 0.25],
            XTickLabels = ["5%", "10%", "25%"],
        };
        string svg = chart.ToSvg();
        Assert.StartsWith("<svg", svg.TrimStart().Replace("<?xml version=\"1.0\" encoding=\"utf-8\"?>", "", StringComparison.Ordinal).TrimStart(), StringComparison.Ordinal);
        Assert.Equal(3, Regex.Count(svg, "<title>snapkv: "));
        Assert.Contains("<title>snapkv: 50% [40%, 60%]</title>", svg, StringComparison.Ordinal);
        Assert.Contains(">full cache<", svg, StringComparison.Ordinal);
        Assert.Contains(">25%<", svg, StringComparison.Ordinal);
    }
}
