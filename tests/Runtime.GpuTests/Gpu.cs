using UNComp.Runtime.Cuda;

namespace UNComp.Runtime.GpuTests;

/// <summary>The one device all GPU tests share, and the skip rule for machines without one.</summary>
internal static class Gpu
{
    private static readonly Lazy<(CudaDevice? Device, string Reason)> State = new(() =>
        CudaDevice.IsAvailable(out string reason) ? (CudaDevice.Open(), "") : (null, reason));

    private static readonly Lock Gate = new();

    /// <summary>The device; skips the calling test when there is none.</summary>
    public static CudaDevice Device
    {
        get
        {
            var (device, reason) = State.Value;
            Assert.SkipWhen(device is null, "no CUDA GPU here: " + reason);
            return device!;
        }
    }

    /// <summary>Serialises tests that measure device memory.</summary>
    public static Lock MemoryGate => Gate;

    /// <summary>The repository root (found from the working directory upwards, or UNCOMP_REPO_ROOT).</summary>
    public static string RepoRoot
    {
        get
        {
            if (Environment.GetEnvironmentVariable("UNCOMP_REPO_ROOT") is { Length: > 0 } root)
            {
                return root;
            }

            foreach (string start in (string[])[Directory.GetCurrentDirectory(), AppContext.BaseDirectory])
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    if (File.Exists(Path.Combine(dir.FullName, "UNComp.Compiler.sln")))
                    {
                        return dir.FullName;
                    }
                }
            }

            throw new InvalidOperationException("repository root not found; run from inside the repository or set UNCOMP_REPO_ROOT.");
        }
    }

    /// <summary>models/fixture-llama.</summary>
    public static string FixtureModel => Path.Combine(RepoRoot, "models", "fixture-llama");

    /// <summary>Relative L2 error ‖a − b‖ / ‖b‖ in float64.</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double num = 0, den = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]), $"NaN at {i}");
            double d = actual[i] - (double)expected[i];
            num += d * d;
            den += (double)expected[i] * expected[i];
        }

        return Math.Sqrt(num / Math.Max(den, 1e-30));
    }

    /// <summary>Uniform random floats in [−scale, scale), rounded to bf16 so CPU references see the GPU's inputs.</summary>
    public static float[] RandomBf16(int n, int seed, float scale = 1)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = Gpu.RoundBf16((float)((r.NextDouble() * 2) - 1) * scale);
        }

        return a;
    }

    public static float RoundBf16(float v) => Runtime.Gpu.Bf16Convert.Round(v);

    /// <summary>Uploads floats as a bf16 tensor.</summary>
    public static DeviceTensor UploadBf16(CudaDevice device, float[] values, int rows, int cols)
    {
        var bits = new ushort[values.Length];
        Runtime.Gpu.Bf16Convert.FromSingle(values, bits);
        var buffer = device.Allocate(bits.Length * 2L, "test data");
        buffer.CopyFromHost<ushort>(bits);
        return new DeviceTensor(buffer, 0, DType.BF16, rows, cols);
    }

    /// <summary>Uploads floats as an fp32 tensor.</summary>
    public static DeviceTensor UploadF32(CudaDevice device, float[] values, int rows, int cols)
    {
        var buffer = device.Allocate(values.Length * 4L, "test data");
        buffer.CopyFromHost<float>(values);
        return new DeviceTensor(buffer, 0, DType.F32, rows, cols);
    }

    /// <summary>An output tensor poisoned with 0xFF bytes (NaN), so unwritten elements fail the comparison.</summary>
    public static DeviceTensor Poisoned(CudaDevice device, DType type, int rows, int cols)
    {
        var buffer = device.Allocate((long)rows * cols * type.Size(), "test output");
        buffer.Fill(0xFF);
        return new DeviceTensor(buffer, 0, type, rows, cols);
    }

    /// <summary>Downloads a tensor as floats.</summary>
    public static float[] Download(DeviceTensor t)
    {
        if (t.Type == DType.F32)
        {
            var f = new float[t.Elements];
            t.Buffer.CopyToHost<float>(f, t.Offset);
            return f;
        }

        var bits = new ushort[t.Elements];
        t.Buffer.CopyToHost<ushort>(bits, t.Offset);
        return Array.ConvertAll(bits, Runtime.Gpu.Bf16Convert.ToSingle);
    }
}
