using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using UNComp.Runtime.Calibration;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Cli.Commands;

/// <summary>
/// <c>uncomp calibrate --model DIR --data FILE [--samples N --tokens T --groups G --mean-budget S --k K
/// --granularity kvHead|queryHead --out FILE]</c>: measure head entropies and write a profile.
/// </summary>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var set = new CalibrationOptionSet();
        var plan = new PlanOptionSet(defaultBudget: 384);
        var outFile = new Option<string>("--out") { Description = "Profile to write (default: profiles/<model folder>.uncomp.json)." };
        var name = new Option<string?>("--name") { Description = "Profile name, a C# identifier (default: from the model folder)." };
        var command = new Command("calibrate", "Measure per-head matrix entropy on calibration text and write a UNComp profile.");
        set.AddTo(command);
        plan.AddTo(command);
        command.Options.Add(outFile);
        command.Options.Add(name);
        command.SetAction((parse, cancellationToken) => Task.FromResult(CliSupport.Run(parse, output =>
        {
            string dir = parse.GetValue(set.Model)!;
            var clock = Stopwatch.StartNew();
            using var model = LlamaModel.Load(dir, cancellationToken);
            var calibrator = new Calibrator(model, set.Read(parse));
            var samples = calibrator.DrawSamples(CalibrationCorpus.Load(parse.GetValue(set.Data)!, CalibrationOptionSet.TryLoadCodec(dir)));
            string profileName = parse.GetValue(name) ?? CalibrationOptionSet.IdentifierFrom(Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/')));
            var measurements = CalibrationOptionSet.MeasureWithProgress(calibrator, samples, output, cancellationToken);
            var profile = calibrator.Plan(measurements, samples, profileName, parse.GetValue(set.Data)!.Replace('\\', '/'), plan.Read(parse));
            string path = parse.GetValue(outFile) ?? Path.Combine("profiles", Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/')) + ".uncomp.json");
            ProfileWriter.Save(profile, path);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Wrote {path}: {samples.Count} samples × {samples.Max(s => s.Length)} tokens, {profile.Compression.GroupCount} groups ({profile.Compression.Granularity}), mean budget {profile.Compression.MeanBudget:0.##}, {profile.Stages.Count} stage(s); {clock.Elapsed.TotalSeconds:0.0} s in all, measuring {calibrator.LastTiming!.Total.TotalSeconds:0.0} s of which entropy {calibrator.LastTiming.Entropy.TotalSeconds:0.00} s."));
            return 0;
        })));
        return command;
    }
}
