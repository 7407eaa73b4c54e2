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
        var also = new Option<string[]>("--also")
        {
            Description = "Also plan another profile from the same measurements: GROUPS:GRANULARITY:OUT[:NAME], e.g. 8:queryHead:profiles/x-g8-qh.uncomp.json (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("calibrate", "Measure per-head matrix entropy on calibration text and write a UNComp profile.");
        set.AddTo(command);
        plan.AddTo(command);
        command.Options.Add(outFile);
        command.Options.Add(name);
        command.Options.Add(also);
        var device = CliSupport.DeviceOption();
        command.Options.Add(device);
        var gpuPrecision = new Option<string>("--gpu-precision")
        {
            Description = "With --device cuda: fp32 (default: the CPU engine's precision, the same entropies to float rounding) or bf16 (the serving engine's prefill: faster, entropies within about 1e-4).",
            DefaultValueFactory = _ => "fp32",
        };
        command.Options.Add(gpuPrecision);
        command.SetAction((parse, cancellationToken) => Task.FromResult(CliSupport.Run(parse, output =>
        {
            var precision = ParsePrecision(parse.GetValue(gpuPrecision));
            string dir = parse.GetValue(set.Model)!;
            var clock = Stopwatch.StartNew();
            using var model = LlamaModel.Load(dir, cancellationToken);
            bool cuda = CliSupport.ResolveDevice(parse.GetValue(device), parse.InvocationConfiguration.Error) == "cuda";
            using var gpu = cuda ? UNComp.Runtime.Cuda.CudaDevice.Open() : null;
            using var gpuModel = gpu is null ? null : UNComp.Runtime.Gpu.CudaModel.Load(gpu, dir, cancellationToken: cancellationToken);
            var options = set.Read(parse) with { GpuPrecision = precision };
            var calibrator = new Calibrator(model, options) { Gpu = gpuModel };
            var samples = calibrator.DrawSamples(CalibrationCorpus.Load(parse.GetValue(set.Data)!, CalibrationOptionSet.TryLoadCodec(dir)));
            string profileName = parse.GetValue(name) ?? CalibrationOptionSet.IdentifierFrom(Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/')));
            var measurements = CalibrationOptionSet.MeasureWithProgress(calibrator, samples, output, cancellationToken);
            var profile = calibrator.Plan(measurements, samples, profileName, parse.GetValue(set.Data)!.Replace('\\', '/'), plan.Read(parse));
            string path = parse.GetValue(outFile) ?? Path.Combine("profiles", Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/')) + ".uncomp.json");
            ProfileWriter.Save(profile, path);
            foreach (string variant in parse.GetValue(also) ?? [])
            {
                var parts = variant.Split(':');
                if (parts.Length is < 3 or > 4 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int groups))
                {
                    throw new ArgumentException($"--also \"{variant}\" must be GROUPS:GRANULARITY:OUT[:NAME].");
                }

                var extra = calibrator.Plan(measurements, samples, parts.Length == 4 ? parts[3] : profileName, parse.GetValue(set.Data)!.Replace('\\', '/'),
                    plan.Read(parse) with { GroupCount = groups, Granularity = parts[1] });
                ProfileWriter.Save(extra, parts[2]);
                output.WriteLine($"Wrote {parts[2]} ({groups} groups, {parts[1]}).");
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Wrote {path}: {samples.Count} samples × {samples.Max(s => s.Length)} tokens, {profile.Compression.GroupCount} groups ({profile.Compression.Granularity}), mean budget {profile.Compression.MeanBudget:0.##}, {profile.Stages.Count} stage(s); {clock.Elapsed.TotalSeconds:0.0} s in all, measuring {calibrator.LastTiming!.Total.TotalSeconds:0.0} s of which entropy {calibrator.LastTiming.Entropy.TotalSeconds:0.00} s."));
            if (DescribeStages(profile.Stages) is { } stages)
            {
                output.WriteLine(stages);
            }

            return 0;
        })));
        return command;
    }

    /// <summary>Reads <c>--gpu-precision</c>: fp32 or bf16 (any case).</summary>
    /// <exception cref="ArgumentException">Any other value, with the accepted ones named.</exception>
    internal static GpuCalibrationPrecision ParsePrecision(string? value) => value?.ToLowerInvariant() switch
    {
        null or "fp32" => GpuCalibrationPrecision.Fp32,
        "bf16" => GpuCalibrationPrecision.Bf16,
        _ => throw new ArgumentException($"--gpu-precision \"{value}\" is not fp32 or bf16."),
    };

    /// <summary>
    /// With more than one hidden-state stage, one line naming what each stage keeps and how to check or change it
    /// (later stages compute on fewer tokens, which can cost accuracy: on the eval model a two-stage profile keeping
    /// 1,536 of 8,192 tokens from layer 2 on answered no retrieval prompt at any budget); null with one stage.
    /// </summary>
    internal static string? DescribeStages(IReadOnlyList<ProfileStage> stages)
    {
        if (stages.Count < 2)
        {
            return null;
        }

        string Layers(ProfileStage s) => s.FirstLayer == s.LastLayer
            ? string.Create(CultureInfo.InvariantCulture, $"layer {s.FirstLayer}")
            : string.Create(CultureInfo.InvariantCulture, $"layers {s.FirstLayer}–{s.LastLayer}");
        string plan = string.Join("; ", stages.Select(s => string.Create(CultureInfo.InvariantCulture, $"{Layers(s)} keep {s.KeepTokens} tokens")));
        return $"Hidden-state stages: {plan}. Later stages compute on fewer prompt tokens, which can lose answers whatever the KV budget: "
            + "compare `uncomp eval --methods uncomp,uncomp-kv` (uncomp-kv: the same KV budgets without the stages); "
            + "--no-hidden-states, --epsilon, --min-keep or --min-keep-ratio change them.";
    }
}
