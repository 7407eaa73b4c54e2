using System.Diagnostics;

namespace UNComp.Runtime.Calibration;

/// <summary>
/// Turns an engine's "layers done" reports during the prefill of one calibration sample into
/// <see cref="CalibrationProgress"/> (fraction of all samples' layers, elapsed time, estimate of the rest); shared by
/// the CPU and GPU measurements. Reports synchronously (Progress&lt;T&gt; would post to the thread pool and arrive out
/// of order).
/// </summary>
internal sealed class SampleLayerProgress(IProgress<CalibrationProgress> progress, int sample, int samples, int layers, Stopwatch clock) : IProgress<int>
{
    /// <summary>The per-layer reporter of one sample, or null when nobody listens.</summary>
    public static IProgress<int>? For(IProgress<CalibrationProgress>? progress, int sample, int samples, int layers, Stopwatch clock) =>
        progress is null ? null : new SampleLayerProgress(progress, sample, samples, layers, clock);

    /// <inheritdoc />
    public void Report(int value)
    {
        double fraction = (sample + (value / (double)layers)) / samples;
        var elapsed = clock.Elapsed;
        TimeSpan? remaining = fraction > 0 ? TimeSpan.FromTicks((long)(elapsed.Ticks * (1 - fraction) / fraction)) : null;
        progress.Report(new CalibrationProgress(value == layers ? sample + 1 : sample, samples, value, elapsed, remaining) { Fraction = fraction });
    }
}
