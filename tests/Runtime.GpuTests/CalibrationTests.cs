using UNComp.Runtime.Calibration;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Gpu;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.GpuTests;

/// <summary>
/// <c>uncomp calibrate --device cuda</c>: the device sums each head's query covariance (float64, queries in fp32 from the
/// GPU's projection) and the host finishes as the CPU does. With the fp32 forward pass (the default) the activations
/// are the CPU's up to float rounding, so the entropies must equal the CPU's to 1e-6 (issue 11); with the bf16 engine's
/// prefill the projection takes bf16 activations, so entropies differ in the last digits of the normalised entropy
/// (about 4e-5 on the fixture) and only the grouping order is asked to match. The measured difference is printed.
/// </summary>
public sealed class CalibrationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(GpuCalibrationPrecision.Fp32, 1e-6)]
    [InlineData(GpuCalibrationPrecision.Bf16, 1e-2)]
    public void GpuCalibration_MeasuresTheCpusEntropies(GpuCalibrationPrecision precision, double tolerance)
    {
        var device = Gpu.Device;
        using var cpuModel = LlamaModel.Load(Gpu.FixtureModel);
        using var gpuModel = CudaModel.Load(device, Gpu.FixtureModel);
        var options = new CalibrationOptions { Samples = 4, Tokens = 1024, GpuPrecision = precision };
        var codec = TokenizerCodec.Load(Gpu.FixtureModel);
        var cpu = new Calibrator(cpuModel, options);
        var samples = cpu.DrawSamples(CalibrationCorpus.Load(Path.Combine(Gpu.FixtureModel, "calibration.txt"), codec));
        var expected = cpu.Measure(samples);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var actual = new Calibrator(cpuModel, options) { Gpu = gpuModel }.Measure(samples);
        double seconds = watch.Elapsed.TotalSeconds;
        double worst = 0;
        int sameOrder = 0, layers = cpuModel.Config.NumLayers;
        for (int l = 0; l < layers; l++)
        {
            var e = Enumerable.Range(0, samples.Count).Select(s => expected.Entropy(s, l)).ToArray();
            var a = Enumerable.Range(0, samples.Count).Select(s => actual.Entropy(s, l)).ToArray();
            for (int s = 0; s < e.Length; s++)
            {
                for (int h = 0; h < e[s].Count; h++)
                {
                    worst = Math.Max(worst, Math.Abs(e[s][h] - a[s][h]));
                }
            }

            var rankE = Enumerable.Range(0, e[0].Count).OrderBy(h => e.Average(x => x[h])).ToArray();
            var rankA = Enumerable.Range(0, a[0].Count).OrderBy(h => a.Average(x => x[h])).ToArray();
            sameOrder += rankE.SequenceEqual(rankA) ? 1 : 0;
        }

        output.WriteLine($"GPU calibration ({precision}): {samples.Count} samples × {samples.Max(s => s.Length)} tokens in {seconds:F2} s; largest entropy difference from the CPU {worst:E2}; head order by entropy equal in {sameOrder}/{layers} layers");
        Assert.True(worst < tolerance, $"{precision}: entropy differs from the CPU's by {worst:E2} (tolerance {tolerance:E0})");
        if (precision == GpuCalibrationPrecision.Fp32)
        {
            Assert.Equal(layers, sameOrder);
        }

        Assert.Equal(expected.Samples, actual.Samples);
    }
}
