using UNComp.Runtime.Calibration;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Gpu;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.GpuTests;

/// <summary>
/// <c>uncomp calibrate --device cuda</c>: the device sums each head's query covariance (float64, queries in fp32 from the
/// GPU's projection) and the host finishes as the CPU does. The GPU's projection takes bf16 activations where the CPU
/// multiplies fp32 ones, so entropies differ in the last digits of the normalised entropy; the measured difference is
/// printed, and the entropy ranking that groups the heads must be the CPU's.
/// </summary>
public sealed class CalibrationTests(ITestOutputHelper output)
{
    [Fact]
    public void GpuCalibration_MeasuresTheCpusEntropies()
    {
        var device = Gpu.Device;
        using var cpuModel = LlamaModel.Load(Gpu.FixtureModel);
        using var gpuModel = CudaModel.Load(device, Gpu.FixtureModel);
        var options = new CalibrationOptions { Samples = 4, Tokens = 1024 };
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

        output.WriteLine($"GPU calibration: {samples.Count} samples × {samples.Max(s => s.Length)} tokens in {seconds:F2} s; largest entropy difference from the CPU {worst:E2}; head order by entropy equal in {sameOrder}/{layers} layers");
        Assert.True(worst < 1e-2, $"entropy differs from the CPU's by {worst:E2}");
        Assert.Equal(expected.Samples, actual.Samples);
    }
}
