using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Calibration;

/// <summary>How calibration measures entropies (uncomp-method.md §1–2).</summary>
public sealed record CalibrationOptions
{
    /// <summary>N, the number of prompts (default 100).</summary>
    public int Samples { get; init; } = 100;

    /// <summary>T, tokens per prompt (default 4096, capped by the model's max positions and the corpus).</summary>
    public int Tokens { get; init; } = 4096;

    /// <summary>Seed of the sample selection.</summary>
    public long Seed { get; init; } = 1234;

    /// <summary>k and the elbow rule.</summary>
    public EntropyOptions Entropy { get; init; } = new();

    /// <summary><see cref="EntropyMatrix.Query"/> (default), <see cref="EntropyMatrix.Key"/> or <see cref="EntropyMatrix.Value"/>.</summary>
    public string Matrix { get; init; } = EntropyMatrix.Query;

    /// <summary>Queries after RoPE (default) or before (queries only; keys are always post-RoPE here).</summary>
    public bool PostRope { get; init; } = true;

    /// <summary>
    /// The forward pass of calibration on the GPU (<see cref="Calibrator.Gpu"/>): <see cref="GpuCalibrationPrecision.Fp32"/>
    /// (default) keeps the activations fp32 as the CPU engine does; <see cref="GpuCalibrationPrecision.Bf16"/> uses the
    /// serving engine's bf16 prefill. Ignored on the CPU.
    /// </summary>
    public GpuCalibrationPrecision GpuPrecision { get; init; } = GpuCalibrationPrecision.Fp32;
}
