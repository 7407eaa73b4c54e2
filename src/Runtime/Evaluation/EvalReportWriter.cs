using System.Globalization;
using System.Text;
using System.Text.Json;
using UNComp.Runtime.Compression.Methods;
using UNComp.Runtime.Reporting;

namespace UNComp.Runtime.Evaluation;

/// <summary>Writes an <see cref="EvalReport"/> as results.json, results.md and needle heat maps (SVG).</summary>
public static class EvalReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes every output into <paramref name="directory"/>; returns the paths written.</summary>
    public static IReadOnlyList<string> WriteAll(EvalReport report, string directory, string? command = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        string json = Path.Combine(directory, "results.json");
        File.WriteAllText(json, ToJson(report));
        written.Add(json);
        var maps = HeatMaps(report);
        foreach (var (file, svg) in maps)
        {
            string path = Path.Combine(directory, file);
            File.WriteAllText(path, svg, new UTF8Encoding(false));
            written.Add(path);
        }

        string md = Path.Combine(directory, "results.md");
        File.WriteAllText(md, ToMarkdown(report, command, maps.Select(m => m.File).ToList()));
        written.Add(md);
        return written;
    }

    /// <summary>The JSON text of a report.</summary>
    public static string ToJson(EvalReport report) => JsonSerializer.Serialize(report, EvalJsonContext.Default.EvalReport);

    /// <summary>Reads a report back.</summary>
    public static EvalReport FromJson(string json) =>
        JsonSerializer.Deserialize(json, EvalJsonContext.Default.EvalReport) ?? throw new JsonException("results.json: the document is null.");

    /// <summary>Markdown: one accuracy table per task (methods × budgets), KV memory, and links to the heat maps.</summary>
    public static string ToMarkdown(EvalReport report, string? command = null, IReadOnlyList<string>? heatMaps = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        var s = report.Settings;
        sb.Append(Inv, $"# Retrieval accuracy under KV-cache compression — {report.Model}\n\n");
        sb.Append(Inv, $"Run {report.StartedUtc}, {report.Seconds:0} s on {report.ProcessorCount} CPU cores. ");
        sb.Append(Inv, $"Needle grid: lengths {string.Join(", ", s.ContextLengths)} × depths {string.Join(", ", s.Depths.Select(d => d.ToString("0.##", Inv)))} ({s.NeedleSamplesPerCell} per cell); ");
        sb.Append(Inv, $"passkey {s.PasskeySamples} and multi-key {s.MultiKeySamples} prompts at {s.ContextLengths.Max()} tokens; seed {s.Seed}. ");
        sb.Append("Budgets are mean tokens per KV unit (window included) as a fraction of the prompt length; ");
        sb.Append(Inv, $"uncomp uses profile `{report.Profile ?? "-"}` ({report.ProfileGranularity ?? "-"} units), baselines use KV-head units.\n\n");
        if (command is not null)
        {
            sb.Append("Command:\n\n```\n").Append(command).Append("\n```\n\n");
        }

        sb.Append("## Methods\n\n| method | definition (`docs/compression.md`) |\n|---|---|\n");
        foreach (string method in s.Methods)
        {
            sb.Append(Inv, $"| {method} | {(CompressionMethods.TryGet(method, out var definition) ? definition.Summary : "(not in this build's registry)")} |\n");
        }

        sb.Append('\n');
        var budgets = s.Budgets;
        foreach (string task in s.Tasks)
        {
            sb.Append(Inv, $"## {task} — accuracy % (relative to full cache)\n\n| method |");
            foreach (double b in budgets)
            {
                sb.Append(Inv, $" {b * 100:0.#}% |");
            }

            sb.Append("\n|---|").Append(string.Concat(Enumerable.Repeat("---:|", budgets.Count))).Append('\n');
            foreach (string method in s.Methods)
            {
                sb.Append(Inv, $"| {method} |");
                foreach (double b in budgets)
                {
                    var row = report.Summaries.FirstOrDefault(x => x.Task == task && x.Method == method && (method == "full" || x.Budget == b));
                    sb.Append(row is null ? " – |" : string.Create(Inv, $" {row.Accuracy * 100:0.#}{(row.RelativeToFull is double r && method != "full" ? $" ({r * 100:0}%)" : "")} |"));
                }

                sb.Append('\n');
            }

            sb.Append('\n');
        }

        sb.Append("## KV memory per prompt (mean over all prompts, fp32 CPU cache)\n\n| method |");
        foreach (double b in budgets)
        {
            sb.Append(Inv, $" {b * 100:0.#}% |");
        }

        sb.Append("\n|---|").Append(string.Concat(Enumerable.Repeat("---:|", budgets.Count))).Append('\n');
        foreach (string method in s.Methods)
        {
            sb.Append(Inv, $"| {method} |");
            foreach (double b in budgets)
            {
                var rows = report.Records.Where(x => x.Method == method && (method == "full" || x.Budget == b)).ToList();
                sb.Append(rows.Count == 0 ? " – |" : string.Create(Inv, $" {rows.Average(r => r.KvBytes) / 1024:0} KiB ({rows.Average(r => (double)r.KvBytes / r.FullKvBytes) * 100:0.#}%), {rows.Average(r => r.PrefillMs):0} ms |"));
            }

            sb.Append('\n');
        }

        if (heatMaps is { Count: > 0 })
        {
            sb.Append("\n## Needle heat maps (rows: depth, columns: context length, colour: accuracy)\n\n");
            foreach (string file in heatMaps)
            {
                sb.Append(Inv, $"![{file}]({file})\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>One SVG per (method, budget) of the needle task: depth × length, colour = mean score.</summary>
    public static IReadOnlyList<(string File, string Svg)> HeatMaps(EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Settings;
        var needle = report.Records.Where(r => r.Task == "needle").ToList();
        var result = new List<(string, string)>();
        foreach (var group in needle.GroupBy(r => (r.Method, r.Budget)).OrderBy(g => s.Methods.ToList().IndexOf(g.Key.Method)).ThenBy(g => g.Key.Budget))
        {
            var values = s.Depths.Select(d => (IReadOnlyList<double>)s.ContextLengths.Select(l =>
            {
                var cell = group.Where(r => r.ContextLength == l && Math.Abs(r.Depth - d) < 1e-9).ToList();
                return cell.Count == 0 ? double.NaN : cell.Average(r => r.Correct ? 1.0 : 0.0);
            }).ToList()).ToList();
            string budget = group.Key.Method == "full" ? "full cache" : string.Create(Inv, $"{group.Key.Budget * 100:0.#}% budget");
            var map = new HeatMap(values)
            {
                Title = string.Create(Inv, $"needle: {group.Key.Method}, {budget}"),
                RowAxisTitle = "depth",
                ColumnAxisTitle = "context length (tokens)",
                RowLabels = [.. s.Depths.Select(d => d.ToString("0%", Inv))],
                ColumnLabels = [.. s.ContextLengths.Select(l => l.ToString(Inv))],
                LegendTitle = "accuracy",
                Range = (0, 1),
                ShowValues = true,
                CellSize = 40,
            };
            string file = group.Key.Method == "full" ? "needle-full.svg" : string.Create(Inv, $"needle-{group.Key.Method}-{group.Key.Budget * 100:0.#}pct.svg");
            result.Add((file, map.ToSvg()));
        }

        return result;
    }
}
