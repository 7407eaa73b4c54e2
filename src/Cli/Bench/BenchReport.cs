using System.Text.Json.Serialization;

namespace UNComp.Cli.Bench;

/// <summary>
/// One <c>uncomp bench</c> run as written to JSON (schema <see cref="SchemaName"/>): where it ran, with what, the exact
/// command, and one <see cref="BenchResult"/> per grid point. Device-specific facts are optional fields, so a GPU
/// engine adds its own (<see cref="BenchMachine.Gpus"/>, <see cref="BenchResult.PeakDeviceMemoryBytes"/>) to the same schema.
/// </summary>
internal sealed record BenchReport
{
    /// <summary>Schema identifier of this file format.</summary>
    public const string SchemaName = "uncomp-bench/1";

    public string Schema { get; init; } = SchemaName;

    /// <summary>The command line as run (argv joined with spaces, program name first).</summary>
    public required string Command { get; init; }

    public required DateTimeOffset StartedUtc { get; init; }

    public required BenchMachine Machine { get; init; }

    public required BenchVersions Versions { get; init; }

    public required BenchModel Model { get; init; }

    public required BenchSettings Settings { get; init; }

    public required IReadOnlyList<BenchResult> Results { get; init; }
}

/// <summary>The machine: OS, CPU, memory; GPUs when a GPU engine ran.</summary>
internal sealed record BenchMachine
{
    public required string Os { get; init; }

    public required string Cpu { get; init; }

    public required int LogicalCores { get; init; }

    public required long MemoryBytes { get; init; }

    /// <summary>Vector instruction set of the CPU kernels (avx512, avx2, scalar).</summary>
    public required string CpuKernelIsa { get; init; }

    public IReadOnlyList<string>? Gpus { get; init; }

    public string? GpuDriver { get; init; }
}

/// <summary>Software versions.</summary>
internal sealed record BenchVersions
{
    /// <summary>UNComp (informational version, with the source commit when the build knew it).</summary>
    public required string Uncomp { get; init; }

    public required string Dotnet { get; init; }

    public required string RuntimeIdentifier { get; init; }

    /// <summary>Whether the run used a self-contained/single-file or framework-dependent build.</summary>
    public required string Deployment { get; init; }

    public string? Cuda { get; init; }
}

/// <summary>The model measured.</summary>
internal sealed record BenchModel
{
    public required string Name { get; init; }

    public required string Architecture { get; init; }

    public required int Layers { get; init; }

    public required int HiddenSize { get; init; }

    public required long Parameters { get; init; }

    /// <summary>Bytes of the weights as the engine holds them (fp32 on CPU).</summary>
    public required long WeightBytes { get; init; }
}

/// <summary>Settings shared by every grid point.</summary>
internal sealed record BenchSettings
{
    public required int NewTokens { get; init; }

    public required int WarmupRuns { get; init; }

    public required int Runs { get; init; }

    public required int Seed { get; init; }

    /// <summary>How prompt ids are made (reproducible in other languages: tools/bench/cpu_peer.py).</summary>
    public required string Prompt { get; init; }
}

/// <summary>One grid point: device × threads × method × budget × prompt length × batch.</summary>
internal sealed record BenchResult
{
    public required string Device { get; init; }

    public required string Engine { get; init; }

    public int? Threads { get; init; }

    public required string Method { get; init; }

    /// <summary>Mean KV budget in tokens per cache unit (null for the full cache).</summary>
    public double? MeanBudget { get; init; }

    public required int PromptTokens { get; init; }

    public required int Batch { get; init; }

    /// <summary>SHA-256 of the prompt ids as little-endian int32: both engines of a comparison must show the same.</summary>
    public required string PromptIdsSha256 { get; init; }

    public required BenchPhase Prefill { get; init; }

    public required BenchPhase Decode { get; init; }

    /// <summary>Tokens generated per run: the decode steps plus the one the prefill's logits give.</summary>
    public required int GeneratedTokens { get; init; }

    public required long KvBytesAllocated { get; init; }

    public required long KvBytesInUse { get; init; }

    /// <summary>Managed bytes allocated over all measured decode steps (0 = the decode loop allocates nothing).</summary>
    public long? DecodeAllocatedBytes { get; init; }

    public long? PeakWorkingSetBytes { get; init; }

    public long? PeakDeviceMemoryBytes { get; init; }
}

/// <summary>Timings of one phase over the measured runs (warm-up runs excluded).</summary>
internal sealed record BenchPhase
{
    /// <summary>Tokens processed per run (prompt tokens, or decode steps).</summary>
    public required int Tokens { get; init; }

    public required IReadOnlyList<double> Seconds { get; init; }

    /// <summary>Process CPU seconds per run (all threads), next to the wall seconds.</summary>
    public IReadOnlyList<double>? CpuSeconds { get; init; }

    public required double MinSeconds { get; init; }

    public required double MedianSeconds { get; init; }

    /// <summary>Tokens per second of the fastest run.</summary>
    public required double TokensPerSecondBest { get; init; }

    /// <summary>Tokens per second of the median run.</summary>
    public required double TokensPerSecondMedian { get; init; }

    /// <summary>Summary of runs: min and median of the wall seconds.</summary>
    public static BenchPhase From(int tokens, IReadOnlyList<double> seconds, IReadOnlyList<double>? cpuSeconds)
    {
        var sorted = seconds.Order().ToArray();
        double min = sorted.Length > 0 ? sorted[0] : 0;
        double median = sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        return new BenchPhase
        {
            Tokens = tokens,
            Seconds = seconds,
            CpuSeconds = cpuSeconds,
            MinSeconds = min,
            MedianSeconds = median,
            TokensPerSecondBest = min > 0 ? tokens / min : 0,
            TokensPerSecondMedian = median > 0 ? tokens / median : 0,
        };
    }
}

/// <summary>Source-generated JSON for the bench report (trim/AOT safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext
{
    /// <summary>The same options without escaping '+', '&lt;', '·' and the like (the file is data, not HTML).</summary>
    public static BenchJsonContext Readable { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
