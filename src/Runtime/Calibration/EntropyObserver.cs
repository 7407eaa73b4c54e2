using UNComp.Runtime.Compression;
using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Calibration;

/// <summary>
/// Prefill observer that measures the entropy of every head of every layer as the engine passes by, so no
/// activation outlives its layer. Key/value matrices have one entry per KV head; each query head then reports
/// its KV head's value.
/// </summary>
public sealed class EntropyObserver : IPrefillObserver
{
    private readonly EntropyMeasurements measurements;
    private readonly CalibrationOptions options;

    /// <summary>Creates an observer that records into <paramref name="measurements"/>.</summary>
    public EntropyObserver(EntropyMeasurements measurements, CalibrationOptions options)
    {
        this.measurements = measurements ?? throw new ArgumentNullException(nameof(measurements));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>Wall time spent measuring entropies (covariance + eigenvalues), to compare with the prefill.</summary>
    public TimeSpan MeasureTime { get; private set; }

    /// <inheritdoc />
    public bool WantsPreRope => options.Matrix == EntropyMatrix.Query && !options.PostRope;

    /// <inheritdoc />
    public void OnLayer(in LayerActivations activations)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        LayerEntropy measured;
        switch (options.Matrix)
        {
            case EntropyMatrix.Query:
                var q = options.PostRope ? activations.Queries : activations.QueriesPreRope;
                measured = LayerEntropy.Measure(q, activations.Tokens, activations.NumHeads, activations.HeadDim, options.Entropy);
                break;
            case EntropyMatrix.Key:
            case EntropyMatrix.Value:
                var kv = options.Matrix == EntropyMatrix.Key ? activations.Keys : activations.Values;
                var perKv = LayerEntropy.Measure(kv, activations.Tokens, activations.NumKvHeads, activations.HeadDim, options.Entropy);
                int share = activations.NumHeads / activations.NumKvHeads;
                var expanded = Enumerable.Range(0, activations.NumHeads).Select(h => perKv.Heads[h / share]).ToArray();
                measured = new LayerEntropy(expanded, LayerEntropy.ScoreOf(expanded));
                break;
            default:
                throw new InvalidOperationException($"Matrix \"{options.Matrix}\" must be query, key or value.");
        }

        measurements.Record(activations.Layer, measured);
        MeasureTime += System.Diagnostics.Stopwatch.GetElapsedTime(start);
    }
}
