using UNComp.Runtime.Calibration;
using UNComp.Runtime.Cuda;
using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Gpu;

/// <summary>
/// Calibration on the GPU: full-cache prefills of the samples, by default in fp32 (<see cref="CudaFp32Prefill"/>: the
/// CPU engine's precision) or on the bf16 <see cref="CudaEngine"/> (<see cref="GpuCalibrationPrecision.Bf16"/>:
/// faster, entropies within about 1e-4 of the CPU's); in every layer the <c>query_covariance</c> kernel sums each query
/// head's centred, unit-length rows (float64, queries in fp32 with RoPE applied as the engine does), and the host
/// finishes exactly as the CPU does (<see cref="MatrixEntropy.FinishCovariance"/>, eigenvalues, truncated entropy).
/// Only query matrices (pre- or post-RoPE) are measured on the device.
/// </summary>
public static class CudaEntropyMeter
{
    /// <summary>Measures every head's entropy over <paramref name="samples"/> (one prefill each) on <paramref name="model"/>'s GPU.</summary>
    /// <exception cref="NotSupportedException">Key or value matrices (measure those with the CPU engine).</exception>
    public static EntropyMeasurements Measure(CudaModel model, IReadOnlyList<int[]> samples, CalibrationOptions options,
        IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Matrix != EntropyMatrix.Query)
        {
            throw new NotSupportedException($"calibration on the GPU measures query matrices; matrix \"{options.Matrix}\" needs --device cpu.");
        }

        if (samples.Count == 0)
        {
            throw new ArgumentException("No calibration samples.", nameof(samples));
        }

        var cfg = model.Config;
        int d = cfg.HeadDim, heads = cfg.NumAttentionHeads;
        int longest = samples.Max(s => s.Length);
        var measurements = new EntropyMeasurements(cfg.NumLayers, heads);
        var device = model.Device;
        bool fp32 = options.GpuPrecision == GpuCalibrationPrecision.Fp32;
        using var engine = fp32 ? null : new CudaEngine(model, Cache.KvCacheLayout.Full(cfg, longest), new CudaEngineOptions { MaxPrefillTokens = longest, UseCudaGraphs = false });
        using var ownKernels = fp32 ? new LlamaKernels(device) : null;
        var kernels = engine?.Kernels ?? ownKernels!;
        using var forward = fp32 ? new CudaFp32Prefill(model, kernels, longest) : null;
        var pairs = new List<int>();
        for (int i = 0; i < d; i++)
        {
            for (int j = i; j < d; j++)
            {
                pairs.Add((i << 16) | j);
            }
        }

        using var pairBuffer = device.Allocate(pairs.Count * 4L, "the covariance entry table");
        pairBuffer.CopyFromHost<int>(pairs.ToArray());
        using var sums = device.Allocate((long)heads * d * d * 8, "the per-head covariance sums");
        var host = new double[heads * d * d];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Observe(CudaPrefillLayer layer)
        {
            sums.Fill(0);
            kernels.Module.Launch("query_covariance", (heads, 1, 1), 256, (d + 16 * d) * 8,
                layer.Qkv, layer.Bias, layer.Positions, layer.InverseFrequencies, pairBuffer.Address, sums.Address,
                layer.Tokens, layer.Qkv.Cols, d, options.PostRope ? 1 : 0);
            sums.CopyToHost<double>(host);
            var result = new HeadEntropy[heads];
            Parallel.For(0, heads, h =>
            {
                var sigma = host.AsSpan(h * d * d, d * d);
                MatrixEntropy.FinishCovariance(sigma, layer.Tokens, d);
                result[h] = MatrixEntropy.FromSpectrum(MatrixEntropy.Eigenvalues(sigma, d), options.Entropy);
            });
            measurements.Record(layer.Layer, new LayerEntropy(result, LayerEntropy.ScoreOf(result)));
        }

        if (engine is not null)
        {
            engine.PrefillObserver = Observe;
        }

        for (int s = 0; s < samples.Count; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var layers = SampleLayerProgress.For(progress, s, samples.Count, cfg.NumLayers, clock);
            if (forward is not null)
            {
                forward.Run(samples[s], Observe, layers, cancellationToken);
            }
            else
            {
                engine!.Prefill(0, samples[s], [], layers, cancellationToken);
            }

            measurements.CompleteSample();
        }

        return measurements;
    }
}
