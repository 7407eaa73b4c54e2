using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UNComp.Runtime.Profiles;
using UNComp.Runtime.Reporting;

namespace UNComp.Cli.Commands;

/// <summary><c>uncomp inspect PROFILE [--svg out.svg] [--context N]</c>: a readable summary of a profile.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var profileArg = new Argument<string>("profile") { Description = "Path of a *.uncomp.json profile." };
        var svgOption = new Option<string?>("--svg") { Description = "Also write an SVG heat map of per-head entropy (layers × query heads) to this file." };
        var contextOption = new Option<int?>("--context") { Description = "Context length for the KV-byte figures (default: the calibration's maxTokens)." };
        var command = new Command("inspect", "Print a profile's groups, budgets, stages and KV memory; optionally write an entropy heat map.");
        command.Arguments.Add(profileArg);
        command.Options.Add(svgOption);
        command.Options.Add(contextOption);
        command.SetAction(parse => CliSupport.Run(parse, output =>
        {
            string path = parse.GetValue(profileArg)!;
            UncompProfile profile;
            try
            {
                profile = ProfileLoader.Load(path);
            }
            catch (ProfileLoadException e)
            {
                // The message lists every problem with its JSON path.
                parse.InvocationConfiguration.Error.WriteLine("uncomp: error: " + e.Message);
                return 1;
            }

            int context = parse.GetValue(contextOption) ?? profile.Compression.HiddenStates.MaxTokens;
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            Render(profile, context, console);
            if (parse.GetValue(svgOption) is { } svg)
            {
                var folder = Path.GetDirectoryName(Path.GetFullPath(svg));
                if (!string.IsNullOrEmpty(folder))
                {
                    Directory.CreateDirectory(folder);
                }

                File.WriteAllText(svg, EntropyHeatMap.Create(profile).ToSvg());
                output.WriteLine($"Heat map written to {svg}.");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>Writes the summary to <paramref name="console"/>.</summary>
    internal static void Render(UncompProfile profile, int context, IAnsiConsole console)
    {
        var summary = new ProfileSummary(profile, context);
        var m = profile.Model;
        var c = profile.Compression;
        string unitName = c.Granularity == CacheGranularity.KvHead ? "KV head" : "query head";
        console.MarkupLine($"[bold]{Markup.Escape(profile.Name)}[/]  {Markup.Escape(m.Architecture)}: {m.NumLayers} layers, {m.NumAttentionHeads} query heads / {m.NumKeyValueHeads} KV heads, d = {m.HeadDim}");
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"granularity {c.Granularity} (budget per {unitName}), {c.GroupCount} groups, weights [{string.Join(", ", c.GroupWeights.Select(w => w.ToString("0.###", CultureInfo.InvariantCulture)))}], mean budget {c.MeanBudget:0.##} tokens, window {c.Window}, pool {c.PoolKernel}, decode {c.Decode}")));
        var cal = profile.Calibration;
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"calibration: {cal.Samples} samples × {cal.Tokens} tokens, seed {cal.Seed}, {cal.Matrix}{(cal.PostRope ? " post-RoPE" : " pre-RoPE")}, k = {cal.TruncationK}{(cal.Elbow ? " (elbow)" : string.Empty)}, {cal.Tool}, {cal.CreatedUtc}")));

        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("layer", col => col.RightAligned());
        table.AddColumn("stage", col => col.RightAligned());
        table.AddColumn("keep tokens", col => col.RightAligned());
        table.AddColumn("score", col => col.RightAligned());
        table.AddColumn("mean Ĥ", col => col.RightAligned());
        for (int g = 0; g < c.GroupCount; g++)
        {
            table.AddColumn(string.Create(CultureInfo.InvariantCulture, $"g{g}: units × budget"), col => col.RightAligned());
        }

        table.AddColumn("cached tokens", col => col.RightAligned());
        foreach (var row in summary.Rows)
        {
            var cells = new List<string>
            {
                I(row.Layer), I(row.Stage), I(row.KeepTokens),
                row.Score.ToString("0.##", CultureInfo.InvariantCulture), row.MeanEntropy.ToString("0.000", CultureInfo.InvariantCulture),
            };
            for (int g = 0; g < c.GroupCount; g++)
            {
                cells.Add(row.UnitsPerGroup[g] == 0 ? "-" : $"{I(row.UnitsPerGroup[g])} × {string.Join("/", row.BudgetsPerGroup[g].Select(I))}");
            }

            cells.Add(row.CachedTokens.ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }

        console.Write(table);
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"stages: {string.Join("  ", profile.Stages.Select(s => $"[{s.FirstLayer}..{s.LastLayer}] keep {s.KeepTokens}"))}{(c.HiddenStates.Enabled ? string.Empty : " (hidden-state compression off)")}")));
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"at context {context}: {summary.CachedTokens:N0} cached tokens per sequence, {summary.TokensPerUnit:0.#} tokens per {unitName} = {summary.TokenRatio:P2} of the context")));
        // Never present a "compressed" cache that is not smaller than the full one: say that nothing is saved.
        string verdict = summary.SavesNothing
            ? $"no smaller than the full cache at this context ({c.Granularity}{(c.Granularity == CacheGranularity.QueryHead && m.NumAttentionHeads != m.NumKeyValueHeads ? ": one cache per query head" : string.Empty)}): this profile saves nothing at {context} tokens"
            : $"{summary.ByteRatio:P2} of full ({c.Granularity})";
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"KV bytes per sequence: {Bytes(summary.CacheBytes(2))} fp16/bf16, {Bytes(summary.CacheBytes(4))} fp32; full cache {Bytes(summary.FullCacheBytes(2))} / {Bytes(summary.FullCacheBytes(4))} → {verdict}")));
        if (summary.AllocatedTokens > summary.CachedTokens)
        {
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"note: budgets above {context} tokens cannot fill at this context, but a compiled class allocates every budget: {Bytes(summary.AllocatedTokens * m.HeadDim * 2 * 4)} fp32 per sequence.")));
        }
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Bytes(long bytes) => CliSupport.Bytes(bytes);
}
