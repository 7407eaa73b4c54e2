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
        var needleMaps = HeatMaps(report);
        var methodMaps = MethodHeatMaps(report);
        var plots = BudgetPlots(report);
        foreach (var (file, svg) in plots.Concat(methodMaps).Concat(needleMaps))
        {
            string path = Path.Combine(directory, file);
            File.WriteAllText(path, svg, new UTF8Encoding(false));
            written.Add(path);
        }

        string md = Path.Combine(directory, "results.md");
        File.WriteAllText(md, ToMarkdown(report, command, [.. needleMaps.Select(m => m.File)], [.. plots.Select(m => m.File)], [.. methodMaps.Select(m => m.File)]));
        written.Add(md);
        return written;
    }

    /// <summary>The JSON text of a report.</summary>
    public static string ToJson(EvalReport report) => JsonSerializer.Serialize(report, EvalJsonContext.Default.EvalReport);

    /// <summary>Reads a report back.</summary>
    public static EvalReport FromJson(string json) =>
        JsonSerializer.Deserialize(json, EvalJsonContext.Default.EvalReport) ?? throw new JsonException("results.json: the document is null.");

    /// <summary>
    /// Markdown: one accuracy table per task and context length (methods × budgets, accuracy % with the 95 % Wilson
    /// interval and the share of full-cache accuracy), KV memory, and links to the plots and heat maps.
    /// </summary>
    public static string ToMarkdown(EvalReport report, string? command = null, IReadOnlyList<string>? heatMaps = null, IReadOnlyList<string>? plots = null, IReadOnlyList<string>? methodMaps = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        var s = report.Settings;
        sb.Append(Inv, $"# Retrieval accuracy under KV-cache compression — {report.Model}\n\n");
        sb.Append(Inv, $"Run {report.StartedUtc}, {report.Seconds:0} s on {report.ProcessorCount} CPU cores ({s.Parallelism} prompt(s) at once). ");
        sb.Append(Inv, $"Needle grid: lengths {string.Join(", ", s.ContextLengths)} × depths {string.Join(", ", s.Depths.Select(d => d.ToString("0.##", Inv)))} ({s.NeedleSamplesPerCell} per cell); ");
        var sampleLengths = s.SampleLengths.Count > 0 ? s.SampleLengths : [s.ContextLengths.Max()];
        sb.Append(Inv, $"passkey {s.PasskeySamples}, multi-key {s.MultiKeySamples} and RULER-style {s.RulerSamples} prompts at {string.Join(", ", sampleLengths)} tokens; seed {s.Seed}. ");
        sb.Append("Budgets are mean tokens per KV unit (window included) as a fraction of the prompt length; ");
        sb.Append(Inv, $"uncomp uses profile `{report.Profile ?? "-"}` ({report.ProfileGranularity ?? "-"} units), baselines use KV-head units. ");
        sb.Append("Cells: accuracy % [95 % Wilson interval] (share of full-cache accuracy).\n\n");
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
        foreach (var cell in report.Summaries.Select(x => (x.Task, x.ContextLength)).Distinct().OrderBy(c => s.Tasks.ToList().IndexOf(c.Task)).ThenBy(c => c.ContextLength == 0 ? int.MaxValue : c.ContextLength))
        {
            var rows = report.Summaries.Where(x => x.Task == cell.Task && x.ContextLength == cell.ContextLength).ToList();
            string length = cell.ContextLength == 0 ? "all lengths" : string.Create(Inv, $"{cell.ContextLength} tokens");
            sb.Append(Inv, $"## {cell.Task}, {length} ({rows.Max(r => r.Samples)} prompts per cell)\n\n| method |");
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
                    var row = rows.FirstOrDefault(x => x.Method == method && (method == "full" || x.Budget == b));
                    sb.Append(row is null ? " – |" : " " + Cell(row, method == "full") + " |");
                }

                sb.Append('\n');
            }

            if (rows.Any(r => r.MeanKl is not null))
            {
                sb.Append("\nTeacher-forced fidelity, mean KL(full ‖ method) nats / mean rank of the reference token:\n\n| method |");
                foreach (double b in budgets)
                {
                    sb.Append(Inv, $" {b * 100:0.#}% |");
                }

                sb.Append("\n|---|").Append(string.Concat(Enumerable.Repeat("---:|", budgets.Count))).Append('\n');
                foreach (string method in s.Methods.Where(m => m != "full"))
                {
                    sb.Append(Inv, $"| {method} |");
                    foreach (double b in budgets)
                    {
                        var row = rows.FirstOrDefault(x => x.Method == method && x.Budget == b);
                        sb.Append(row?.MeanKl is double kl ? string.Create(Inv, $" {kl:0.000} / {row.MeanReferenceRank:0.0} |") : " – |");
                    }

                    sb.Append('\n');
                }
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

        if (plots is { Count: > 0 })
        {
            sb.Append("\n## Accuracy against KV budget (bars: 95 % Wilson intervals; dashed: full cache)\n\n");
            foreach (string file in plots)
            {
                sb.Append(Inv, $"![{file}]({file})\n");
            }
        }

        if (methodMaps is { Count: > 0 })
        {
            sb.Append("\n## Per-method heat maps (rows: task and length, columns: budget, colour: accuracy)\n\n");
            foreach (string file in methodMaps)
            {
                sb.Append(Inv, $"![{file}]({file})\n");
            }
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

    /// <summary>An accuracy % cell: value, Wilson interval, share of full-cache accuracy.</summary>
    public static string Cell(EvalSummary row, bool isFull)
    {
        ArgumentNullException.ThrowIfNull(row);
        string relative = row.RelativeToFull is double r && !isFull ? string.Create(Inv, $" ({r * 100:0}%)") : string.Empty;
        return string.Create(Inv, $"{row.Accuracy * 100:0.#} [{row.Low * 100:0.#}–{row.High * 100:0.#}]{relative}");
    }

    /// <summary>One plot per (task, context length): accuracy against budget, a line per method with Wilson bars, the full cache as a band.</summary>
    public static IReadOnlyList<(string File, string Svg)> BudgetPlots(EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Settings;
        var result = new List<(string, string)>();
        foreach (var cell in report.Summaries.Where(x => x.ContextLength > 0).Select(x => (x.Task, x.ContextLength)).Distinct())
        {
            var rows = report.Summaries.Where(x => x.Task == cell.Task && x.ContextLength == cell.ContextLength).ToList();
            var series = new List<LineSeries>();
            foreach (string method in s.Methods)
            {
                var points = rows.Where(r => r.Method == method).OrderBy(r => r.Budget).Select(r => (r.Budget, r.Accuracy, r.Low, r.High)).ToList();
                if (points.Count > 0)
                {
                    series.Add(new LineSeries(method == "full" ? "full cache" : method, points, Reference: method == "full"));
                }
            }

            var chart = new LineChart([.. series.OrderByDescending(x => x.Reference)])
            {
                Title = string.Create(Inv, $"{cell.Task}, {cell.ContextLength} tokens ({rows.Max(r => r.Samples)} prompts per point)"),
                XAxisTitle = "mean KV budget (% of the prompt, equal bytes per column)",
                YAxisTitle = "accuracy",
                XTicks = s.Budgets,
                XTickLabels = [.. s.Budgets.Select(b => (b * 100).ToString("0.#", Inv) + "%")],
            };
            result.Add((string.Create(Inv, $"accuracy-{cell.Task}-{cell.ContextLength}.svg"), chart.ToSvg()));
        }

        return result;
    }

    /// <summary>One heat map per compressing method: rows = task at a length, columns = budgets, colour = accuracy.</summary>
    public static IReadOnlyList<(string File, string Svg)> MethodHeatMaps(EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Settings;
        var cells = report.Summaries.Where(x => x.ContextLength > 0).Select(x => (x.Task, x.ContextLength)).Distinct()
            .OrderBy(c => s.Tasks.ToList().IndexOf(c.Task)).ThenBy(c => c.ContextLength).ToList();
        var result = new List<(string, string)>();
        foreach (string method in s.Methods.Where(m => m != "full"))
        {
            var values = cells.Select(c => (IReadOnlyList<double>)s.Budgets.Select(b =>
                report.Summaries.FirstOrDefault(x => x.Task == c.Task && x.ContextLength == c.ContextLength && x.Method == method && x.Budget == b)?.Accuracy ?? double.NaN).ToList()).ToList();
            if (values.Count == 0)
            {
                continue;
            }

            var map = new HeatMap(values)
            {
                Title = "accuracy: " + method,
                RowAxisTitle = "task @ length",
                ColumnAxisTitle = "mean KV budget",
                RowLabels = [.. cells.Select(c => string.Create(Inv, $"{c.Task}@{c.ContextLength}"))],
                ColumnLabels = [.. s.Budgets.Select(b => (b * 100).ToString("0.#", Inv) + "%")],
                LegendTitle = "accuracy",
                Range = (0, 1),
                ShowValues = true,
                CellSize = 40,
            };
            result.Add(("method-" + method + ".svg", map.ToSvg()));
        }

        return result;
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
