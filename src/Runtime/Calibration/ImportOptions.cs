namespace UNComp.Runtime.Calibration;

/// <summary>Options of <see cref="AuthorsCalibrationImporter.Import"/>.</summary>
public sealed record ImportOptions
{
    /// <summary>Profile name (C# identifier).</summary>
    public required string Name { get; init; }

    /// <summary>Planning choices; <see cref="PlanOptions.GroupCount"/> is replaced by the labels' group count.</summary>
    public PlanOptions Plan { get; init; } = new();

    /// <summary>Group count; null = largest label + 1 (at least 2).</summary>
    public int? GroupCount { get; init; }

    /// <summary>Treat label 0 as the high-entropy group (flip labels) for data labelled the other way round.</summary>
    public bool InvertLabels { get; init; }

    /// <summary>Stages to record; null = the Llama-2-7B stages for that preset, else a single stage.</summary>
    public IReadOnlyList<(int First, int Last)>? Stages { get; init; }

    /// <summary>Model folder with safetensors files for the real fingerprint; null = standard layout.</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>Calibration tokens to record; null = the model's max positions.</summary>
    public int? Tokens { get; init; }

    /// <summary>k the authors used (their folders say svd32).</summary>
    public int TruncationK { get; init; } = 32;

    /// <summary>How the source is named in the profile; null = the folder path.</summary>
    public string? SourceName { get; init; }

    /// <summary>Fixed creation time (reproducible output); null = now.</summary>
    public string? CreatedUtc { get; init; }
}
