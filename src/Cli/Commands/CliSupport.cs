using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UNComp.Runtime.Compute;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Tokenization;

namespace UNComp.Cli.Commands;

/// <summary>Helpers shared by commands: user-error handling, progress display, number formatting.</summary>
internal static class CliSupport
{
    /// <summary>
    /// Runs a command body; user errors (bad files, bad arguments, unsupported models) become one line on stderr
    /// and exit code 1, without a stack trace. Cancellation (Ctrl+C) exits with 130.
    /// </summary>
    public static int Run(ParseResult parseResult, Func<TextWriter, int> body)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var error = parseResult.InvocationConfiguration.Error;
        try
        {
            return body(output);
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("uncomp: cancelled.");
            return 130;
        }
        catch (Exception ex) when (ex is ModelFormatException or TokenizerFormatException or Runtime.Templating.TemplateException or ArgumentException or IOException
            or Runtime.Profiles.ModelFingerprintMismatchException or Runtime.Profiles.ProfileLoadException or Runtime.Cuda.Interop.CudaException
            or InvalidOperationException or NotSupportedException or UnauthorizedAccessException or FormatException)
        {
            error.WriteLine("uncomp: error: " + ex.Message);
            return 1;
        }
    }

    /// <summary>Runs a prefill-shaped job with a progress bar on stderr when stderr is a terminal and the prompt is long.</summary>
    public static void WithPrefillProgress(int layers, int promptTokens, Action<IProgress<int>?> work)
    {
        if (promptTokens < 512 || Console.IsErrorRedirected)
        {
            work(null);
            return;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"prefill {promptTokens} tokens", maxValue: layers);
                work(new Progress<int>(done => task.Value = done));
            });
    }

    /// <summary>One summary line: prompt tokens, prefill and decode throughput, KV bytes.</summary>
    public static string Summary(GenerationStats s) => string.Create(CultureInfo.InvariantCulture,
        $"prompt {s.PromptTokens} tokens | prefill {s.PrefillTokensPerSecond:F1} tok/s | decode {s.DecodeTokensPerSecond:F1} tok/s ({s.DecodedTokens} tokens) | generated {s.GeneratedTokens} | KV in use {Bytes(s.KvBytesInUse)} of {Bytes(s.KvBytesAllocated)} allocated");

    /// <summary>Human-readable bytes (binary units).</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{v:0.##} {units[u]}");
    }

    /// <summary><c>--device cpu|cuda|auto</c> (default auto: cuda when a GPU is found, else cpu).</summary>
    public static Option<string> DeviceOption() => new("--device")
    {
        Description = "Where to run: cpu, cuda, or auto (cuda when an NVIDIA GPU is found, else cpu).",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>Resolves <c>--device</c> to "cpu" or "cuda", saying on <paramref name="log"/> which was chosen for auto.</summary>
    public static string ResolveDevice(string? requested, TextWriter log)
    {
        switch (requested?.ToLowerInvariant())
        {
            case "cpu":
                return "cpu";
            case "cuda" or "gpu":
                if (!UNComp.Runtime.Cuda.CudaDevice.IsAvailable(out string why))
                {
                    throw new ArgumentException("--device cuda: no usable NVIDIA GPU: " + why);
                }

                return "cuda";
            case "auto" or null:
                bool gpu = UNComp.Runtime.Cuda.CudaDevice.IsAvailable(out string reason);
                log.WriteLine(gpu ? "uncomp: device: cuda (an NVIDIA GPU was found; --device cpu to override)" : $"uncomp: device: cpu ({reason})");
                return gpu ? "cuda" : "cpu";
            default:
                throw new ArgumentException($"--device must be cpu, cuda or auto, not '{requested}'.");
        }
    }

    /// <summary>The shared <c>--threads</c> option (0 = all cores).</summary>
    public static Option<int> ThreadsOption() =>
        new("--threads") { Description = "CPU threads for the compute backend; 0 = all cores.", DefaultValueFactory = _ => 0 };

    /// <summary>The CPU backend for a <c>--threads</c> value.</summary>
    public static CpuBackend Backend(int threads) => threads switch
    {
        0 => CpuBackend.Shared,
        > 0 => new CpuBackend(threads),
        _ => throw new ArgumentException("--threads must be ≥ 0 (0 = all cores)."),
    };

    /// <summary>
    /// Refuses prompt text that was not valid UTF-8 (the runtime turned its bad bytes into U+FFFD) or holds lone
    /// UTF-16 surrogates: tokenizing it would silently encode replacement characters.
    /// </summary>
    /// <exception cref="ArgumentException">The text is empty or not valid Unicode.</exception>
    public static void CheckPromptText(string text)
    {
        if (text.Length == 0)
        {
            throw new ArgumentException("--prompt is empty; pass the prompt text.");
        }

        int bad = text.IndexOf('\uFFFD', StringComparison.Ordinal);
        if (bad < 0)
        {
            for (int i = 0; i < text.Length; i++)
            {
                if (char.IsSurrogate(text[i]) && !(char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])))
                {
                    bad = i;
                    break;
                }

                if (char.IsHighSurrogate(text[i]))
                {
                    i++;
                }
            }
        }

        if (bad >= 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"--prompt is not valid UTF-8 text (an invalid byte sequence at character {bad}); pass UTF-8, or the prompt as --prompt-ids."));
        }
    }

    /// <summary>Parses "1,2,3" into token ids.</summary>
    public static int[] ParseIds(string text) =>
        text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int id)
                ? id
                : throw new FormatException($"--prompt-ids: '{s}' is not a token id; pass comma-separated non-negative integers."))
            .ToArray();
}
