namespace UNComp.Runtime.Calibration;

/// <summary>Progress of a calibration run, reported after every layer.</summary>
/// <param name="SamplesDone">Completed prompts.</param>
/// <param name="SamplesTotal">Prompts in the run.</param>
/// <param name="LayersDone">Layers finished of the prompt in progress.</param>
/// <param name="Elapsed">Wall time so far.</param>
/// <param name="Remaining">Estimated wall time left (null before the first layer finished).</param>
public sealed record CalibrationProgress(int SamplesDone, int SamplesTotal, int LayersDone, TimeSpan Elapsed, TimeSpan? Remaining)
{
    /// <summary>Fraction done in [0, 1].</summary>
    public double Fraction { get; init; }
}
