using System.Buffers.Binary;
using System.Text.Json;
using UNComp.Runtime.Cache;
using UNComp.Runtime.Cuda.Interop;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Gpu;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.GpuTests;

/// <summary>Device limits and failures: clear errors, nothing lost, memory given back.</summary>
public sealed class ReliabilityTests(ITestOutputHelper output)
{
    private const long DownProjColumns = 768; // the fixture's down_proj is [hidden 256, intermediate 768]
    [Fact]
    public void OutOfMemory_IsAClearError_AndTheOtherEngineKeepsWorking()
    {
        var device = Gpu.Device;
        using var model = CudaModel.Load(device, Gpu.FixtureModel);
        using var engine = new CudaEngine(model, KvCacheLayout.Full(model.Config, 64));
        engine.Prefill(0, [1, 2, 3, 4], []);
        var huge = KvCacheLayout.Full(model.Config, 4096);
        var ex = Assert.Throws<CudaException>(() => new KvArena(device, huge, 100_000));
        output.WriteLine(ex.Message);
        Assert.True(ex.IsOutOfMemory);
        Assert.Contains("KV cache keys", ex.Message, StringComparison.Ordinal);
        Assert.Contains("free of", ex.Message, StringComparison.Ordinal);
        int[] next = [5];
        engine.DecodeSample([0], next, SamplingOptions.Greedy, [], next);
        Assert.InRange(next[0], 0, model.Config.VocabSize - 1);
    }

    [Fact]
    public void DisposingModelAndEngine_GivesTheDeviceMemoryBack()
    {
        var device = Gpu.Device;
        lock (Gpu.MemoryGate)
        {
            device.Synchronize();
            long before = device.MemoryInfo().Free;
            var model = CudaModel.Load(device, Gpu.FixtureModel);
            var engine = new CudaEngine(model, KvCacheLayout.Full(model.Config, 1024), new CudaEngineOptions { MaxBatch = 4, OwnsModel = true });
            engine.Prefill(2, [7, 8, 9], []);
            long during = device.MemoryInfo().Free;
            engine.Dispose();
            long after = device.MemoryInfo().Free;
            output.WriteLine($"free before {before:N0}, with model + engine {during:N0}, after dispose {after:N0}");
            Assert.True(before - during > model.WeightBytes, "the model and engine took device memory");
            Assert.InRange(before - after, -(64L << 20), 64L << 20);
        }
    }

    [Fact]
    public void NaNWeight_IsRefusedAtLoad_NamingTheTensorAndElement()
    {
        var device = Gpu.Device;
        string dir = Path.Combine(Path.GetTempPath(), "uncomp-nan-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            foreach (string f in Directory.GetFiles(Gpu.FixtureModel))
            {
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            }

            string path = Path.Combine(dir, "model.safetensors");
            byte[] bytes = File.ReadAllBytes(path);
            long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
            using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
            const string Tensor = "model.layers.3.mlp.down_proj.weight";
            long begin = header.RootElement.GetProperty(Tensor).GetProperty("data_offsets")[0].GetInt64();
            long element = (5 * DownProjColumns) + 7; // row 5, column 7
            long at = 8 + headerLength + begin + (element * 2);
            bytes[at] = 0xC0; // bf16 0x7FC0: a quiet NaN (little-endian)
            bytes[at + 1] = 0x7F;
            File.WriteAllBytes(path, bytes);
            var ex = Assert.Throws<ModelFormatException>(() => CudaModel.Load(device, dir));
            output.WriteLine(ex.Message);
            Assert.Contains(Tensor, ex.Message, StringComparison.Ordinal);
            Assert.Contains("row 5, column 7", ex.Message, StringComparison.Ordinal);
            using var unscanned = CudaModel.Load(device, dir, options: new ModelLoadOptions { CheckFiniteWeights = false });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
