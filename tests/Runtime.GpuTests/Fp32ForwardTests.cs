using UNComp.Runtime.Cuda;
using UNComp.Runtime.Gpu;

namespace UNComp.Runtime.GpuTests;

/// <summary>
/// The fp32 forward pass of calibration (<c>forward_f32.cu</c>): each kernel against a float64 reference on fp32 inputs
/// (not bf16-rounded, except the weights, which stay bf16 on the device), to fp32 rounding.
/// </summary>
public sealed class Fp32ForwardTests : IDisposable
{
    private static readonly Lazy<LlamaKernels> SharedKernels = new(() => new LlamaKernels(Gpu.Device));
    private readonly List<DeviceTensor> _tensors = [];

    private static LlamaKernels Kernels => SharedKernels.Value;

    public void Dispose()
    {
        foreach (var t in _tensors)
        {
            t.Buffer.Dispose();
        }
    }

    [Theory]
    [InlineData(1, 40, 70, false)]
    [InlineData(130, 264, 200, true)]
    [InlineData(64, 256, 64, false)]
    public void LinearF32_MatchesFloat64Reference(int rows, int inDim, int outDim, bool accumulate)
    {
        var device = Gpu.Device;
        var x = RandomF32(rows * inDim, 1);
        var w = Gpu.RandomBf16(outDim * inDim, 2, 0.1f);
        var y0 = RandomF32(rows * outDim, 3);
        var dy = Keep(Gpu.UploadF32(device, y0, rows, outDim));
        Kernels.LinearF32(Keep(Gpu.UploadF32(device, x, rows, inDim)), Keep(Gpu.UploadBf16(device, w, outDim, inDim)), dy, rows, accumulate);
        var expected = new float[rows * outDim];
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outDim; o++)
            {
                double s = accumulate ? y0[(r * outDim) + o] : 0;
                for (int i = 0; i < inDim; i++)
                {
                    s += (double)x[(r * inDim) + i] * w[(o * inDim) + i];
                }

                expected[(r * outDim) + o] = (float)s;
            }
        }

        double err = Gpu.RelativeError(Gpu.Download(dy), expected);
        Assert.True(err < 1e-6, $"relative error {err:E2}");
    }

    [Fact]
    public void RmsNormF32_AndSwiGluF32_MatchFloat64Reference()
    {
        var device = Gpu.Device;
        int rows = 5, hidden = 300, ff = 700;
        var x = RandomF32(rows * hidden, 4, 3);
        var g = RandomF32(hidden, 5);
        var dn = Keep(Gpu.Poisoned(device, DType.F32, rows, hidden));
        Kernels.RmsNormF32(Keep(Gpu.UploadF32(device, x, rows, hidden)), Keep(Gpu.UploadF32(device, g, 1, hidden)), dn, rows, 1e-5f);
        var norm = ReferenceRmsNorm.Rows(x, g, rows, hidden, 1e-5);

        double normErr = Gpu.RelativeError(Gpu.Download(dn), norm);
        Assert.True(normErr < 1e-6, $"RMSNorm relative error {normErr:E2}");

        var gu = RandomF32(rows * 2 * ff, 6, 4);
        var dh = Keep(Gpu.Poisoned(device, DType.F32, rows, ff));
        Kernels.SwiGluF32(Keep(Gpu.UploadF32(device, gu, rows, 2 * ff)), dh, rows);
        var h = new float[rows * ff];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < ff; j++)
            {
                double gate = gu[(r * 2 * ff) + j], up = gu[(r * 2 * ff) + ff + j];
                h[(r * ff) + j] = (float)(gate / (1 + Math.Exp(-gate)) * up);
            }
        }

        double swigluErr = Gpu.RelativeError(Gpu.Download(dh), h);
        Assert.True(swigluErr < 1e-6, $"SwiGLU relative error {swigluErr:E2}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void QkvRopeF32_SplitsAddsBiasAndRotatesAsTheCpuDoes(bool withBias)
    {
        var device = Gpu.Device;
        int n = 9, heads = 4, kvHeads = 2, d = 32, half = d / 2, width = (heads + (2 * kvHeads)) * d;
        var qkv = RandomF32(n * width, 7, 2);
        var bias = RandomF32(width, 8, 0.5f);
        int[] positions = [0, 1, 2, 5, 100, 1000, 4095, 17, 3];
        var inv = Enumerable.Range(0, half).Select(i => 1f / MathF.Pow(10000f, 2f * i / d)).ToArray();
        var dPositions = device.Allocate(n * 4L, "test positions");
        dPositions.CopyFromHost<int>(positions);
        _tensors.Add(new DeviceTensor(dPositions, 0, DType.I32, 1, n));
        var dBias = Keep(Gpu.UploadF32(device, bias, 1, width));
        var dq = Keep(Gpu.Poisoned(device, DType.F32, n, heads * d));
        var dk = Keep(Gpu.Poisoned(device, DType.F32, n, kvHeads * d));
        var dv = Keep(Gpu.Poisoned(device, DType.F32, n, kvHeads * d));
        Kernels.QkvRopeF32(Keep(Gpu.UploadF32(device, qkv, n, width)), withBias ? dBias.Address : 0, dPositions.Address,
            Keep(Gpu.UploadF32(device, inv, 1, half)), dq, dk, dv, n, heads, kvHeads, d);
        var q = new float[n * heads * d];
        var k = new float[n * kvHeads * d];
        var v = new float[n * kvHeads * d];
        for (int t = 0; t < n; t++)
        {
            for (int head = 0; head < heads + kvHeads; head++)
            {
                for (int i = 0; i < half; i++)
                {
                    int col = (head * d) + i;
                    double a = qkv[(t * width) + col] + (withBias ? bias[col] : 0f);
                    double b = qkv[(t * width) + col + half] + (withBias ? bias[col + half] : 0f);
                    double angle = positions[t] * inv[i];   // the product in fp32, as both engines form it
                    angle = (float)angle;
                    double c = Math.Cos(angle), s = Math.Sin(angle);
                    var target = head < heads ? q.AsSpan((((t * heads) + head) * d), d) : k.AsSpan((((t * kvHeads) + head - heads) * d), d);
                    target[i] = (float)((a * c) - (b * s));
                    target[i + half] = (float)((b * c) + (a * s));
                }
            }

            for (int j = 0; j < kvHeads * d; j++)
            {
                int col = ((heads + kvHeads) * d) + j;
                v[(t * kvHeads * d) + j] = qkv[(t * width) + col] + (withBias ? bias[col] : 0f);
            }
        }

        Assert.True(Gpu.RelativeError(Gpu.Download(dq), q) < 1e-6);
        Assert.True(Gpu.RelativeError(Gpu.Download(dk), k) < 1e-6);
        Assert.True(Gpu.RelativeError(Gpu.Download(dv), v) < 1e-7);
    }

    [Theory]
    [InlineData(70, 4, 2, 32)]
    [InlineData(33, 2, 1, 128)]
    [InlineData(129, 8, 8, 64)]
    public void CausalAttentionF32_MatchesFloat64Reference(int n, int heads, int kvHeads, int d)
    {
        var device = Gpu.Device;
        var q = RandomF32(n * heads * d, 9, 2);
        var k = RandomF32(n * kvHeads * d, 10, 2);
        var v = RandomF32(n * kvHeads * d, 11);
        float scale = 1f / MathF.Sqrt(d);
        var dout = Keep(Gpu.Poisoned(device, DType.F32, n, heads * d));
        Kernels.CausalAttentionF32(Keep(Gpu.UploadF32(device, q, n, heads * d)), Keep(Gpu.UploadF32(device, k, n, kvHeads * d)),
            Keep(Gpu.UploadF32(device, v, n, kvHeads * d)), dout, n, heads, kvHeads, d, scale);
        var (expected, _) = ReferenceAttention.Causal(q, k, v, n, heads, kvHeads, d, scale);

        double err = Gpu.RelativeError(Gpu.Download(dout), expected);
        Assert.True(err < 1e-6, $"relative error {err:E2}");
    }

    [Fact]
    public void CausalAttentionF32_RejectsAHeadDimItCannotHold()
    {
        var device = Gpu.Device;
        var t = Keep(Gpu.Poisoned(device, DType.F32, 2, 48));
        Assert.Throws<ArgumentException>(() => Kernels.CausalAttentionF32(t, t, t, t, 2, 1, 1, 48, 1f));
    }

    private static float[] RandomF32(int n, int seed, float scale = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(((r.NextDouble() * 2) - 1) * scale)).ToArray();
    }

    private DeviceTensor Keep(DeviceTensor t)
    {
        _tensors.Add(t);
        return t;
    }
}
