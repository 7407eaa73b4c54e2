using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UNComp.Runtime.Calibration;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Cli.Commands;

/// <summary>
/// <c>uncomp recalibrate PROFILE --model DIR --data FILE [--write OUT]</c>: re-measure entropies on new prompts,
/// report drift per layer, optionally write the updated profile.
/// </summary>
internal static class RecalibrateCommand
{
    public static Command Create()
    {
        var profileArg = new Argument<string>("profile") { Description = "The profile to check (*.uncomp.json)." };
        var set = new CalibrationOptionSet();
        var write = new Option<string?>("--write") { Description = "Write the re-planned profile to this path (may be the same file)." };
        var command = new Command("recalibrate", "Re-measure head entropies on new prompts and report how far a profile has drifted.");
        command.Arguments.Add(profileArg);
        set.AddTo(command, measurement: false);
        command.Options.Add(write);
        command.SetAction((parse, cancellationToken) => Task.FromResult(CliSupport.Run(parse, output =>
        {
            var profile = ProfileLoader.Load(parse.GetValue(profileArg)!);
            string dir = parse.GetValue(set.Model)!;
            using var model = LlamaModel.Load(dir, cancellationToken);
            ModelFingerprint.EnsureMatches(profile, ModelFingerprint.Compute(model), parse.GetValue(profileArg), dir);
            var options = set.Read(parse, measurement: false) with
            {
                Entropy = new EntropyOptions(profile.Calibration.TruncationK, profile.Calibration.Elbow),
                Matrix = profile.Calibration.Matrix,
                PostRope = profile.Calibration.PostRope,
            };
            var calibrator = new Calibrator(model, options);
            var samples = calibrator.DrawSamples(CalibrationCorpus.Load(parse.GetValue(set.Data)!, CalibrationOptionSet.TryLoadCodec(dir)));
            var measurements = CalibrationOptionSet.MeasureWithProgress(calibrator, samples, output, cancellationToken);
            var updated = calibrator.Plan(measurements, samples, profile.Name, parse.GetValue(set.Data)!.Replace('\\', '/'), Recalibrator.PlanOptionsFrom(profile));
            var report = Recalibrator.Compare(profile, updated);
            Render(report, profile, AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) }));
            if (parse.GetValue(write) is { } path)
            {
                ProfileWriter.Save(report.Updated, path);
                output.WriteLine($"Wrote {path}.");
            }

            return 0;
        })));
        return command;
    }

    /// <summary>Writes the drift table and totals.</summary>
    internal static void Render(DriftReport report, UncompProfile profile, IAnsiConsole console)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("layer", c => c.RightAligned());
        table.AddColumn("Spearman ρ", c => c.RightAligned());
        table.AddColumn("groups (profile)");
        table.AddColumn("groups (new prompts)");
        table.AddColumn("units that would change");
        foreach (var l in report.Layers)
        {
            table.AddRow(
                l.Layer.ToString(CultureInfo.InvariantCulture),
                l.Spearman.ToString("0.000", CultureInfo.InvariantCulture),
                string.Join(" ", l.OldGroups),
                string.Join(" ", l.NewGroups),
                l.ChangedUnits.Count == 0 ? "-" : string.Join(", ", l.ChangedUnits));
        }

        console.Write(table);
        int units = report.Layers.Sum(l => l.OldGroups.Count);
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{profile.Name}: mean ρ {report.MeanSpearman:0.000}, min ρ {report.MinSpearman:0.000}; {report.ChangedUnits} of {units} {profile.Compression.Granularity} units would change group.")));
    }
}
