namespace UNComp.Runtime.Calibration;

/// <summary>The precision of calibration's forward pass on the GPU (<see cref="CalibrationOptions.GpuPrecision"/>).</summary>
public enum GpuCalibrationPrecision
{
    /// <summary>
    /// fp32 activations from the embedding to the projections, weights widened from bf16 as read: the CPU engine's
    /// precision, so the entropies match the CPU's to float rounding.
    /// </summary>
    Fp32,

    /// <summary>The serving engine's prefill (bf16 inputs to every product, tensor cores): faster, entropies within about 1e-4 of the CPU's.</summary>
    Bf16,
}
