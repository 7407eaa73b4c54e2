using System.Globalization;
using System.Text;
using System.Text.Json;

namespace UNComp.Runtime.Evaluation;

/// <summary>Writes a <see cref="DiagnosisReport"/> as diagnosis.json and diagnosis.md.</summary>
public static class DiagnosisReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes both files into <paramref name="directory"/>; returns their paths.</summary>
    public static IReadOnlyList<string> WriteAll(DiagnosisReport report, string directory, string? command = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        string json = Path.Combine(directory, "diagnosis.json");
        File.WriteAllText(json, JsonSerializer.Serialize(report, EvalJsonContext.Default.DiagnosisReport));
        string md = Path.Combine(directory, "diagnosis.md");
        File.WriteAllText(md, ToMarkdown(report, command));
        return [json, md];
    }

    /// <summary>Markdown: accuracy per compressed layer (and unit), then the kept-token locations per unit.</summary>
    public static string ToMarkdown(DiagnosisReport report, string? command = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append(Inv, $"# Selection diagnosis — {report.Model}\n\n");
        sb.Append(Inv, $"{report.Samples} prompts ({string.Join(", ", report.Tasks)}), run {report.StartedUtc} in {report.Seconds:0} s; profile `{report.Profile ?? "-"}`. ");
        sb.Append("Accuracy % [95 % Wilson interval] when only the named layer (or cache unit) is compressed to the method's budget and every other keeps the whole prompt (no hidden-state pruning); ");
        sb.Append("\"all\" is the method as it runs.\n\n");
        if (command is not null)
        {
            sb.Append("```\n").Append(command).Append("\n```\n\n");
        }

        var full = report.Accuracy.FirstOrDefault(r => r.Layer == -2);
        if (full is not null)
        {
            sb.Append(Inv, $"Full cache: {Pct(full)}.\n\n");
        }

        foreach (var group in report.Accuracy.Where(r => r.Layer != -2).GroupBy(r => (r.Method, r.Budget)))
        {
            sb.Append(Inv, $"## {group.Key.Method} at {group.Key.Budget * 100:0.#}%\n\n| compressed | accuracy |\n|---|---:|\n");
            foreach (var r in group)
            {
                string what = r.Layer == -1 ? "all layers" : r.Unit < 0 ? string.Create(Inv, $"layer {r.Layer}") : string.Create(Inv, $"layer {r.Layer} unit {r.Unit}");
                sb.Append(Inv, $"| {what} | {Pct(r)} |\n");
            }

            sb.Append(Inv, $"\nKept tokens per unit with every layer compressed (shares of kept tokens: answer span / within {report.NearTokens} tokens of it / first {report.SinkTokens} / last {report.TailTokens} / elsewhere):\n\n");
            sb.Append("| layer | unit | kept | answer recall | answer | near | sink | tail | other |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            foreach (var u in report.Locations.Where(x => x.Method == group.Key.Method && x.Budget == group.Key.Budget))
            {
                string recall = u.AnswerRecall is double a ? (a * 100).ToString("0", Inv) + "%" : "–";
                sb.Append(Inv, $"| {u.Layer} | {u.Unit} | {u.Kept:0} | {recall} | {u.ShareAnswer * 100:0.#}% | {u.ShareNear * 100:0.#}% | {u.ShareSink * 100:0.#}% | {u.ShareTail * 100:0.#}% | {u.ShareOther * 100:0.#}% |\n");
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static string Pct(LayerDiagnosis r) => string.Create(Inv, $"{r.Accuracy * 100:0.#} [{r.Low * 100:0.#}–{r.High * 100:0.#}] ({r.Correct}/{r.Samples})");
}
