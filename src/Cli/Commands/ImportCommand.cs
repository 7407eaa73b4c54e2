using System.CommandLine;
using System.Globalization;
using UNComp.Runtime.Calibration;
using UNComp.Runtime.Profiles;

namespace UNComp.Cli.Commands;

/// <summary>
/// <c>uncomp import-authors --dir D --shape llama-2-7b|llama-3-8b|config.json</c>: a profile from the authors'
/// published head_type_search_layer{l}.csv folders.
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "Folder with head_type_search_layer{l}.csv files.", Required = true };
        var shape = new Option<string>("--shape") { Description = "llama-2-7b, llama-3-8b, or a config.json / model folder.", Required = true };
        var outFile = new Option<string>("--out") { Description = "Profile to write (*.uncomp.json).", Required = true };
        var name = new Option<string>("--name") { Description = "Profile name (C# identifier).", DefaultValueFactory = _ => "Imported" };
        var options = new PlanOptionSet(defaultBudget: 384);
        var invert = new Option<bool>("--invert-labels") { Description = "Treat label 0 as the high-entropy group." };
        var stages = new Option<string?>("--stages") { Description = "Stages as first-last ranges, e.g. 0-1,2-14,15-25,26-30,31-31 (default: the authors' Llama-2-7B stages for that preset, else one stage)." };
        var model = new Option<string?>("--model") { Description = "Model folder whose safetensors headers give the real fingerprint (default: the standard HF tensor layout)." };
        var command = new Command("import-authors", "Build a profile from the UNComp authors' published calibration labels.");
        foreach (var o in new Option[] { dir, shape, outFile, name, invert, stages, model })
        {
            command.Options.Add(o);
        }

        options.AddTo(command);
        command.SetAction(parse => CliSupport.Run(parse, output =>
        {
            try
            {
                var modelShape = ModelPresets.Resolve(parse.GetValue(shape)!);
                string? modelDir = parse.GetValue(model) ?? (Directory.Exists(parse.GetValue(shape)) ? parse.GetValue(shape) : null);
                var profile = AuthorsCalibrationImporter.Import(parse.GetValue(dir)!, modelShape, new ImportOptions
                {
                    Name = parse.GetValue(name)!,
                    Plan = options.Read(parse),
                    InvertLabels = parse.GetValue(invert),
                    Stages = ParseStages(parse.GetValue(stages)),
                    ModelDirectory = modelDir,
                });
                ProfileWriter.Save(profile, parse.GetValue(outFile)!);
                output.WriteLine($"Wrote {parse.GetValue(outFile)} ({profile.Model.NumLayers} layers, {profile.Calibration.Samples} samples, {profile.Compression.GroupCount} groups, {profile.Compression.Granularity}).");
                return 0;
            }
            catch (InvalidDataException e)
            {
                throw new IOException(e.Message, e);
            }
        }));
        return command;
    }

    /// <summary>Parses "0-1,2-14,…" into inclusive ranges.</summary>
    internal static IReadOnlyList<(int First, int Last)>? ParseStages(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
        {
            var ends = part.Split('-');
            if (ends.Length != 2 || !int.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out int a) || !int.TryParse(ends[1], NumberStyles.None, CultureInfo.InvariantCulture, out int b))
            {
                throw new ArgumentException($"--stages: \"{part}\" is not a range like 2-14.");
            }

            return (a, b);
        }).ToArray();
    }
}
