using System.Diagnostics;
using UNComp.Runtime.Compression;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Calibration;

/// <summary>
/// The preparation stage of UNComp: one uncompressed prefill per calibration prompt, entropy of every head of
/// every layer measured in the prefill observer, then groups, budgets and stages planned into a profile.
/// </summary>
/// <remarks>
/// Memory beyond the engine's own buffers is one d×d float64 matrix per head being measured plus N·L·H doubles of
/// results. Deterministic for a given model, samples and options.
/// </remarks>
public sealed class Calibrator
{
    private readonly LlamaModel model;

    /// <summary>Creates a calibrator for a loaded model.</summary>
    public Calibrator(LlamaModel model, CalibrationOptions options)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (!EntropyMatrix.All.Contains(options.Matrix))
        {
            throw new ArgumentException($"Matrix \"{options.Matrix}\" must be query, key or value.", nameof(options));
        }
    }

    /// <summary>The measurement options.</summary>
    public CalibrationOptions Options { get; }

    /// <summary>
    /// When set, <see cref="Measure"/> runs the prefills on this GPU model (loaded from the same directory) and sums the
    /// query covariances on the device (<see cref="global::UNComp.Runtime.Gpu.CudaEntropyMeter"/>); eigenvalues and entropies stay on the host.
    /// </summary>
    public global::UNComp.Runtime.Gpu.CudaModel? Gpu { get; init; }

    /// <summary>Timing of the last <see cref="Measure"/> call (null before the first).</summary>
    public CalibrationTiming? LastTiming { get; private set; }

    /// <summary>T after capping by the model's max positions.</summary>
    public int EffectiveTokens => Math.Min(Options.Tokens, model.Config.MaxPositionEmbeddings);

    /// <summary>Draws the seeded samples from tokenised documents (T capped by the model).</summary>
    public IReadOnlyList<int[]> DrawSamples(IReadOnlyList<int[]> documents) =>
        CalibrationSampler.Draw(documents, Options.Samples, EffectiveTokens, Options.Seed);

    /// <summary>Runs one uncompressed prefill per sample and returns every head's entropy.</summary>
    /// <exception cref="OperationCanceledException">Cancelled (checked between layers).</exception>
    public EntropyMeasurements Measure(IReadOnlyList<int[]> samples, IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (Gpu is { } gpu)
        {
            var watch = Stopwatch.StartNew();
            var measured = global::UNComp.Runtime.Gpu.CudaEntropyMeter.Measure(gpu, samples, Options, progress, cancellationToken);
            LastTiming = new CalibrationTiming(watch.Elapsed, TimeSpan.Zero);
            return measured;
        }

        if (samples.Count == 0)
        {
            throw new ArgumentException("No calibration samples.", nameof(samples));
        }

        var cfg = model.Config;
        var measurements = new EntropyMeasurements(cfg.NumLayers, cfg.NumAttentionHeads);
        var observer = new EntropyObserver(measurements, Options);
        var hooks = new CompressionHooks { Observer = observer };
        int longest = samples.Max(s => s.Length);
        var engine = new InferenceEngine(model, longest);
        var cache = engine.CreateFullCache();
        var logits = new float[cfg.VocabSize];
        var clock = Stopwatch.StartNew();
        for (int s = 0; s < samples.Count; s++)
        {
            var layerProgress = SampleLayerProgress.For(progress, s, samples.Count, cfg.NumLayers, clock);
            engine.Prefill(samples[s], cache, hooks, logits, layerProgress, cancellationToken);
            measurements.CompleteSample();
        }

        LastTiming = new CalibrationTiming(clock.Elapsed, observer.MeasureTime);
        return measurements;
    }

    /// <summary>Measures and plans a complete profile.</summary>
    /// <param name="samples">Token windows (see <see cref="DrawSamples"/>).</param>
    /// <param name="name">Profile name (C# identifier).</param>
    /// <param name="source">Description of the calibration data recorded in the profile.</param>
    /// <param name="plan">Groups, budgets and stages.</param>
    /// <param name="progress">Progress after every layer.</param>
    /// <param name="cancellationToken">Cancels between layers.</param>
    public UncompProfile Calibrate(IReadOnlyList<int[]> samples, string name, string source, PlanOptions plan, IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var measurements = Measure(samples, progress, cancellationToken);
        return Plan(measurements, samples, name, source, plan);
    }

    /// <summary>Plans a profile from measurements already taken.</summary>
    public UncompProfile Plan(EntropyMeasurements measurements, IReadOnlyList<int[]> samples, string name, string source, PlanOptions plan)
    {
        ArgumentNullException.ThrowIfNull(measurements);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(plan);
        var cfg = model.Config;
        var profileModel = ProfileModel.FromConfig(cfg, ModelFingerprint.Compute(model));
        var calibration = new ProfileCalibration
        {
            Samples = measurements.Samples,
            Tokens = samples.Max(s => s.Length),
            Seed = Options.Seed,
            Source = source,
            Matrix = Options.Matrix,
            PostRope = Options.PostRope,
            TruncationK = Options.Entropy.EffectiveK(cfg.HeadDim),
            Elbow = Options.Entropy.Elbow,
            Tool = ToolInfo.Name,
            CreatedUtc = ToolInfo.NowUtc(),
        };
        return ProfilePlanner.Build(name, profileModel, calibration, measurements.Summarize(plan.GroupCount), plan);
    }
}
