namespace UNComp.Runtime.Profiles;

/// <summary>The <c>calibration</c> section: how the entropies of the profile were measured.</summary>
public sealed record ProfileCalibration
{
    /// <summary>Number of calibration prompts N.</summary>
    public required int Samples { get; init; }

    /// <summary>Tokens per prompt T.</summary>
    public required int Tokens { get; init; }

    /// <summary>Seed of the sample selection.</summary>
    public required long Seed { get; init; }

    /// <summary>Where the calibration text came from (path or description).</summary>
    public required string Source { get; init; }

    /// <summary>query | key | value (<see cref="EntropyMatrix"/>).</summary>
    public required string Matrix { get; init; }

    /// <summary>Whether the matrix was taken after RoPE.</summary>
    public required bool PostRope { get; init; }

    /// <summary>k of H_k, in [1, headDim]; the cap when <see cref="Elbow"/> is set.</summary>
    public required int TruncationK { get; init; }

    /// <summary>Whether k was chosen per head by the elbow rule.</summary>
    public required bool Elbow { get; init; }

    /// <summary>Tool and version that wrote the profile.</summary>
    public required string Tool { get; init; }

    /// <summary>UTC creation time, ISO 8601 with a trailing Z.</summary>
    public required string CreatedUtc { get; init; }
}
