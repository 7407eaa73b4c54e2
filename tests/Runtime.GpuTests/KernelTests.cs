using UNComp.Runtime.Cuda;
using UNComp.Runtime.Gpu;

namespace UNComp.Runtime.GpuTests;

/// <summary>Each kernel against a float64 CPU reference on bf16-rounded random inputs (fresh per case, outputs poisoned).</summary>
public sealed class KernelTests(ITestOutputHelper output)
{
    private static readonly Lazy<LlamaKernels> SharedKernels = new(() => new LlamaKernels(Gpu.Device));

    private static LlamaKernels Kernels => SharedKernels.Value;

    [Fact]
    public void Kernels_SecondCompile_ComesFromTheDiskCache()
    {
        var device = Gpu.Device;
        _ = Kernels;
        KernelCompiler.Compile(device, "uncomp_llama.cu", LlamaKernels.Source, [], out bool fromCache);
        Assert.True(fromCache, $"expected a cache hit in {KernelCompiler.CacheDirectory}");
    }

    [Theory]
    [InlineData(1, 64, 96, false, false)]
    [InlineData(7, 256, 384, false, true)]
    [InlineData(300, 512, 1024, true, false)]
    [InlineData(33, 128, 4096, true, true)]
    public void Gemm_Linear_MatchesFloat64Reference(int rows, int inDim, int outDim, bool bf16Output, bool accumulate)
    {
        var device = Gpu.Device;
        var x = Gpu.RandomBf16(rows * inDim, rows + inDim);
        var w = Gpu.RandomBf16(outDim * inDim, outDim, 0.1f);
        var y0 = Gpu.RandomBf16(rows * outDim, 3);
        using var gemm = new CublasLtGemm(device);
        var dx = Gpu.UploadBf16(device, x, rows, inDim);
        var dw = Gpu.UploadBf16(device, w, outDim, inDim);
        var dy = bf16Output ? Gpu.UploadBf16(device, y0, rows, outDim) : Gpu.UploadF32(device, y0, rows, outDim);
        try
        {
            gemm.Linear(dx, dw, dy, accumulate);
            var actual = Gpu.Download(dy);
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

            double err = Gpu.RelativeError(actual, expected);
            Assert.True(err < (bf16Output ? 6e-3 : 1e-5), $"relative error {err:E2}");
        }
        finally
        {
            dx.Buffer.Dispose();
            dw.Buffer.Dispose();
            dy.Buffer.Dispose();
        }
    }

    [Theory]
    [InlineData(100, 4096, false, true, 1)]
    [InlineData(37, 14336, true, false, 1)]
    [InlineData(6144, 256, false, false, 1)]
    [InlineData(100, 4096, false, true, 2)]
    [InlineData(37, 14336, true, false, 2)]
    [InlineData(4099, 4096, false, false, 4)]
    [InlineData(6, 264, true, true, 4)]
    public void Gemv_SingleToken_MatchesFloat64Reference(int m, int k, bool bf16Output, bool accumulate, int splitK)
    {
        var device = Gpu.Device;
        var x = Gpu.RandomBf16(k, m + k);
        var w = Gpu.RandomBf16(m * k, m, 0.1f);
        var y0 = Gpu.RandomBf16(m, 5);
        var dx = Gpu.UploadBf16(device, x, 1, k);
        var dw = Gpu.UploadBf16(device, w, m, k);
        var dy = bf16Output ? Gpu.UploadBf16(device, y0, 1, m) : Gpu.UploadF32(device, y0, 1, m);
        Kernels.Gemv(dw, dx, dy, accumulate, splitK);
        var expected = new float[m];
        for (int o = 0; o < m; o++)
        {
            double s = accumulate ? y0[o] : 0;
            for (int i = 0; i < k; i++)
            {
                s += (double)x[i] * w[(o * k) + i];
            }

            expected[o] = (float)s;
        }

        double err = Gpu.RelativeError(Gpu.Download(dy), expected);
        Assert.True(err < (bf16Output ? 6e-3 : 1e-5), $"relative error {err:E2}");
        dx.Buffer.Dispose();
        dw.Buffer.Dispose();
        dy.Buffer.Dispose();
    }

    [Theory]
    [InlineData(6144, 4096, 1)]
    [InlineData(100, 256, 2)]
    [InlineData(4099, 4096, 4)]
    [InlineData(40, 14336, 2)]   // more x than one staging round of the block
    public void GemvNormed_IsBitwiseRmsNormThenTheProduct_AndNearTheFloat64Reference(int m, int k, int splitK)
    {
        // The fused staging sums x² in the same order as rmsnorm_rows (the same 256 threads), so y must equal rmsnorm_rows
        // followed by the plain GEMV bit for bit, with and without the early weight loads.
        var device = Gpu.Device;
        var x = Gpu.RandomBf16(k, 41, 3);
        var g = Gpu.RandomBf16(k, 42);
        var w = Gpu.RandomBf16(m * k, 43, 0.1f);
        var dx = Gpu.UploadF32(device, x, 1, k);
        var dg = Gpu.UploadF32(device, g, 1, k);
        var dw = Gpu.UploadBf16(device, w, m, k);
        var dxn = Gpu.Poisoned(device, DType.BF16, 1, k);
        var separate = Gpu.UploadF32(device, new float[m], 1, m);
        Kernels.RmsNorm(dx, dg, dxn, 1, 1e-5f);
        Kernels.Gemv(dw, dxn, separate, false, splitK);
        var expected = Gpu.Download(separate);
        foreach (bool prefetch in new[] { false, true })
        {
            var dy = Gpu.UploadF32(device, new float[m], 1, m);
            Kernels.GemvNormed(dw, dx, dg, 1e-5f, dy, splitK, prefetch);
            var actual = Gpu.Download(dy);
            for (int o = 0; o < m; o++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[o]) == BitConverter.SingleToInt32Bits(actual[o]), $"y[{o}] (prefetch {prefetch}): fused {actual[o]} vs separate {expected[o]}");
            }

            dy.Buffer.Dispose();
        }

        double ss = x.Sum(v => (double)v * v);
        float inv = (float)(1 / Math.Sqrt((ss / k) + 1e-5));
        var xn = x.Select((v, i) => Bf16Convert.Round(v * inv * g[i])).ToArray();   // the staged bf16 input, as rmsnorm_rows rounds it
        var reference = new float[m];
        for (int o = 0; o < m; o++)
        {
            double sum = 0;
            for (int i = 0; i < k; i++)
            {
                sum += (double)xn[i] * w[(o * k) + i];
            }

            reference[o] = (float)sum;
        }

        double err = Gpu.RelativeError(expected, reference);
        Assert.True(err < 1e-3, $"relative error {err:E2}");   // a staged element may round the other way when inv differs in its last bit
        foreach (var t in (DeviceTensor[])[dx, dg, dw, dxn, separate])
        {
            t.Buffer.Dispose();
        }
    }

    [Theory]
    [InlineData(14336, 4096, 1)]   // Llama-3-8B's gate|up
    [InlineData(6, 256, 4)]
    public void GemvNormedSwiGlu_IsBitwiseRmsNormThenTheFusedSwiGluProduct(int ff, int k, int splitK)
    {
        var device = Gpu.Device;
        var x = Gpu.RandomBf16(k, 61, 3);
        var g = Gpu.RandomBf16(k, 62);
        var w = Gpu.RandomBf16(2 * ff * k, 63, 0.1f);
        var dx = Gpu.UploadF32(device, x, 1, k);
        var dg = Gpu.UploadF32(device, g, 1, k);
        var dw = Gpu.UploadBf16(device, w, 2 * ff, k);
        var dxn = Gpu.Poisoned(device, DType.BF16, 1, k);
        var separate = Gpu.Poisoned(device, DType.BF16, 1, ff);
        var fused = Gpu.Poisoned(device, DType.BF16, 1, ff);
        Kernels.RmsNorm(dx, dg, dxn, 1, 1e-5f);
        Kernels.GemvSwiGlu(dw, dxn, separate, splitK, prefetch: true);
        Kernels.GemvNormedSwiGlu(dw, dx, dg, 1e-5f, fused, splitK, prefetch: true);

        var expected = Gpu.Download(separate);
        var actual = Gpu.Download(fused);
        Assert.Contains(actual, v => v != 0f);
        for (int j = 0; j < ff; j++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[j]) == BitConverter.SingleToInt32Bits(actual[j]), $"h[{j}]: fused {actual[j]} vs separate {expected[j]}");
        }

        foreach (var t in (DeviceTensor[])[dx, dg, dw, dxn, separate, fused])
        {
            t.Buffer.Dispose();
        }
    }

    [Theory]
    [InlineData(128, 4, true, 96)]
    [InlineData(64, 1, false, 64)]
    [InlineData(32, 8, true, 128)]
    public void DecodeAttention_FusedRope_IsBitwiseQkvRopeThenTheKernel(int d, int group, bool bias, int chunk)
    {
        // The tensor-core kernel given the fp32 q|k|v row rotates q and the new key itself: its q, k, v outputs and the
        // combined attention must equal qkv_rope followed by the kernel, bit for bit (units of 300, 17 and 0 tokens).
        var device = Gpu.Device;
        int[] lengths = [300, 17, 0];
        int units = lengths.Length, heads = units * group, cap = 320, width = (heads + (2 * units)) * d;
        int splits = (cap + 1 + chunk - 1) / chunk;
        var dk = Gpu.UploadBf16(device, Gpu.RandomBf16(units * cap * d, 81, 0.7f), units * cap, d);
        var dv = Gpu.UploadBf16(device, Gpu.RandomBf16(units * cap * d, 82), units * cap, d);
        var dqkv = Gpu.UploadF32(device, Gpu.RandomBf16(width, 83, 2), 1, width);
        var db = Gpu.UploadF32(device, bias ? Gpu.RandomBf16(width, 84, 0.5f) : new float[width], 1, width);
        var dinv = Gpu.UploadF32(device, Compute.RotaryEmbedding.InverseFrequencies(d, 500000, null), 1, d / 2);
        using var pos = device.Allocate(4, "position");
        pos.CopyFromHost<int>([777]);
        using var arena = new RaggedUnits(device, lengths, cap, d);
        using var partO = device.Allocate((long)heads * splits * d * 4, "partials");
        using var partMl = device.Allocate((long)heads * splits * 2 * 4, "partial statistics");
        var outs = new DeviceTensor[8];   // q, k, v, attention: separate, then fused
        for (int i = 0; i < 8; i++)
        {
            outs[i] = Gpu.Poisoned(device, DType.BF16, 1, (i % 4 is 0 or 3 ? heads : units) * d);
        }

        ulong biasAddress = bias ? db.Address : 0;
        DecodeAttentionArgs Args(DeviceTensor q, DeviceTensor k, DeviceTensor v, bool fused) => new()
        {
            Q = fused ? 0 : q.Address, NewK = fused ? 0 : k.Address, NewV = fused ? 0 : v.Address, ArenaK = dk.Address, ArenaV = dv.Address,
            UnitOffsets = arena.Offsets.Address, Lengths = arena.Lengths.Address, Slots = arena.Slots.Address, PartialO = partO.Address,
            PartialMl = partMl.Address, SlotElements = (long)units * cap * d, TotalUnits = units, LayerUnit0 = 0,
            UnitsPerLayer = units, Heads = heads, KvHeads = units, QueryHeadsPerUnit = group, UnitsPerKvHead = 1,
            HeadDim = d, Rows = 1, Splits = splits, Chunk = chunk, Scale = 1f / MathF.Sqrt(d), Kernel = DecodeAttentionKernel.TensorCores,
            Qkv = fused ? dqkv.Address : 0, Bias = biasAddress, Positions = pos.Address, InverseFrequencies = dinv.Address,
            QOut = fused ? q.Address : 0, KOut = fused ? k.Address : 0, VOut = fused ? v.Address : 0,
        };
        Kernels.QkvRope(dqkv, biasAddress, pos.Address, dinv, outs[0], outs[1], outs[2], 1, heads, units, d);
        Kernels.DecodePartial(Args(outs[0], outs[1], outs[2], false));
        Kernels.DecodeCombine(partO.Address, partMl.Address, outs[3], 1, heads, splits, d);
        Kernels.DecodePartial(Args(outs[4], outs[5], outs[6], true));
        Kernels.DecodeCombine(partO.Address, partMl.Address, outs[7], 1, heads, splits, d);

        foreach (var (i, what) in new[] { (0, "q"), (1, "k"), (2, "v"), (3, "attention") })
        {
            var expected = Gpu.Download(outs[i]);
            Assert.Contains(expected, x => x != 0f);
            var actual = Gpu.Download(outs[i + 4]);
            for (int j = 0; j < expected.Length; j++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[j]) == BitConverter.SingleToInt32Bits(actual[j]), $"{what}[{j}]: fused {actual[j]} vs separate {expected[j]}");
            }
        }

        Assert.Throws<ArgumentException>(() => Kernels.DecodePartial(Args(outs[4], outs[5], outs[6], true) with { Kernel = DecodeAttentionKernel.CudaCores }));
        foreach (var t in (DeviceTensor[])[dk, dv, dqkv, db, dinv, .. outs])
        {
            t.Buffer.Dispose();
        }
    }

    [Theory]
    [InlineData(DecodeAttentionKernel.TensorCores, 32, 4, 64)]
    [InlineData(DecodeAttentionKernel.TensorCores, 64, 1, 256)]
    [InlineData(DecodeAttentionKernel.TensorCores, 128, 4, 1024)]
    [InlineData(DecodeAttentionKernel.TensorCores, 128, 8, 96)]
    [InlineData(DecodeAttentionKernel.CudaCores, 32, 4, 64)]
    [InlineData(DecodeAttentionKernel.CudaCores, 128, 4, 256)]
    public void DecodeAttention_RaggedUnits_MatchesFloat64Softmax(DecodeAttentionKernel kernel, int d, int group, int chunk)
    {
        // Units of 300, 17 and 0 cached tokens plus the step's own key; queries scaled ×4 so the attention is peaked and
        // the running maximum moves inside a chunk. The output is bf16: 5e-3 of the largest value is about one ulp.
        var device = Gpu.Device;
        int[] lengths = [300, 17, 0];
        int units = lengths.Length, heads = units * group, cap = 320;
        int splits = (cap + 1 + chunk - 1) / chunk;
        var k = Gpu.RandomBf16(units * cap * d, 31, 0.7f);
        var v = Gpu.RandomBf16(units * cap * d, 32);
        var q = Gpu.RandomBf16(heads * d, 33, 4);
        var nk = Gpu.RandomBf16(units * d, 34, 0.7f);
        var nv = Gpu.RandomBf16(units * d, 35);
        var dk = Gpu.UploadBf16(device, k, units * cap, d);
        var dv = Gpu.UploadBf16(device, v, units * cap, d);
        var dq = Gpu.UploadBf16(device, q, heads, d);
        var dnk = Gpu.UploadBf16(device, nk, units, d);
        var dnv = Gpu.UploadBf16(device, nv, units, d);
        using var arena = new RaggedUnits(device, lengths, cap, d);
        using var partO = device.Allocate((long)heads * splits * d * 4, "partials");
        using var partMl = device.Allocate((long)heads * splits * 2 * 4, "partial statistics");
        var dout = Gpu.Poisoned(device, DType.BF16, heads, d);
        Kernels.DecodePartial(new DecodeAttentionArgs
        {
            Q = dq.Address, NewK = dnk.Address, NewV = dnv.Address, ArenaK = dk.Address, ArenaV = dv.Address,
            UnitOffsets = arena.Offsets.Address, Lengths = arena.Lengths.Address, Slots = arena.Slots.Address, PartialO = partO.Address,
            PartialMl = partMl.Address, SlotElements = (long)units * cap * d, TotalUnits = units, LayerUnit0 = 0,
            UnitsPerLayer = units, Heads = heads, KvHeads = units, QueryHeadsPerUnit = group, UnitsPerKvHead = 1,
            HeadDim = d, Rows = 1, Splits = splits, Chunk = chunk, Scale = 1f / MathF.Sqrt(d), Kernel = kernel,
        });
        Kernels.DecodeCombine(partO.Address, partMl.Address, dout, 1, heads, splits, d);
        var actual = Gpu.Download(dout);

        var expected = new double[heads * d];
        for (int u = 0; u < units; u++)
        {
            int n = lengths[u] + 1;
            double Key(int t, int i) => t < lengths[u] ? k[(((long)u * cap) + t) * d + i] : nk[(u * d) + i];
            double Value(int t, int i) => t < lengths[u] ? v[(((long)u * cap) + t) * d + i] : nv[(u * d) + i];
            for (int h = u * group; h < (u + 1) * group; h++)
            {
                var logits = new double[n];
                for (int t = 0; t < n; t++)
                {
                    double dot = 0;
                    for (int i = 0; i < d; i++)
                    {
                        dot += q[(h * d) + i] * Key(t, i);
                    }

                    logits[t] = dot / Math.Sqrt(d);
                }

                double max = logits.Max(), sum = logits.Sum(x => Math.Exp(x - max));
                for (int i = 0; i < d; i++)
                {
                    double o = 0;
                    for (int t = 0; t < n; t++)
                    {
                        o += Math.Exp(logits[t] - max) / sum * Value(t, i);
                    }

                    expected[(h * d) + i] = o;
                }
            }
        }

        double scale = expected.Max(Math.Abs), worst = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]), $"element {i} was not written");
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / scale);
        }

        output.WriteLine($"{kernel} d {d} group {group} chunk {chunk} ({splits} splits): max |error| / max |expected| = {worst:E2}");
        Assert.True(worst < 5e-3, $"max |error| / max |expected| = {worst:E2}");
        foreach (var t in new[] { dk, dv, dq, dnk, dnv, dout })
        {
            t.Buffer.Dispose();
        }
    }

    [Theory]
    [InlineData(128256)] // Llama-3's vocabulary: float4 loads
    [InlineData(32003)]  // odd: one float per load
    [InlineData(5)]      // fewer logits than threads
    public void ArgMax_IsTheLowestIdOfTheMaximum_AndMinusOneForARowWithNaNOrInfinity(int vocab)
    {
        var device = Gpu.Device;
        const int Rows = 4;
        var logits = Gpu.RandomBf16(Rows * vocab, 21, 4);
        int tieLow = vocab / 3, tieHigh = vocab - 2;
        logits[tieLow] = logits[tieHigh] = 50f;                 // row 0: a tie, the lowest id wins
        logits[vocab + vocab - 1] = 60f;                        // row 1: the maximum is the last logit
        logits[(2 * vocab) + (vocab / 2)] = float.NaN;          // row 2: NaN
        logits[(3 * vocab) + 1] = float.NegativeInfinity;       // row 3: −∞
        var d = Gpu.UploadF32(device, logits, Rows, vocab);
        using var tokens = device.Allocate(Rows * 4, "argmax tokens");
        Kernels.ArgMax(d, tokens.Address, Rows);
        var actual = new int[Rows];
        tokens.CopyToHost<int>(actual);

        Assert.Equal([tieLow, vocab - 1, -1, -1], actual);
        d.Buffer.Dispose();
    }

    [Theory]
    [InlineData(4096)]   // multiple of 4: vector path
    [InlineData(4098)]   // scalar path
    public void RmsNorm_MatchesReference(int hidden)
    {
        var device = Gpu.Device;
        int rows = 5;
        var x = Gpu.RandomBf16(rows * hidden, 11, 3);
        var w = Gpu.RandomBf16(hidden, 12);
        var dx = Gpu.UploadF32(device, x, rows, hidden);
        var dw = Gpu.UploadF32(device, w, 1, hidden);
        var dout = Gpu.Poisoned(device, DType.BF16, rows, hidden);
        Kernels.RmsNorm(dx, dw, dout, rows, 1e-5f);
        var actual = Gpu.Download(dout);
        var expected = ReferenceRmsNorm.Rows(x, w, rows, hidden, 1e-5);

        Assert.True(Gpu.RelativeError(actual, expected) < 4e-3);
        dx.Buffer.Dispose();
        dw.Buffer.Dispose();
        dout.Buffer.Dispose();
    }

    [Theory]
    [InlineData(14336, 4096, 1)]   // Llama-3-8B's gate|up
    [InlineData(100, 264, 2)]
    [InlineData(6, 256, 4)]
    public void GemvSwiGlu_IsBitwiseTheProductThenSwiGlu(int ff, int k, int splitK)
    {
        // The fused kernel pairs gate row j with up row ff + j in one warp and applies SwiGLU to the bf16-rounded sums:
        // every element must equal the separate bf16 GEMV followed by swiglu_rows, bit for bit.
        var device = Gpu.Device;
        var x = Gpu.RandomBf16(k, 51, 2);
        var w = Gpu.RandomBf16(2 * ff * k, 52, 0.1f);
        var dx = Gpu.UploadBf16(device, x, 1, k);
        var dw = Gpu.UploadBf16(device, w, 2 * ff, k);
        var dgu = Gpu.Poisoned(device, DType.BF16, 1, 2 * ff);
        var separate = Gpu.Poisoned(device, DType.BF16, 1, ff);
        var fused = Gpu.Poisoned(device, DType.BF16, 1, ff);
        Kernels.Gemv(dw, dx, dgu, false, splitK);
        Kernels.SwiGlu(dgu, separate, 1);
        Kernels.GemvSwiGlu(dw, dx, fused, splitK);

        var expected = Gpu.Download(separate);
        var actual = Gpu.Download(fused);
        Assert.Equal(ff, actual.Length);
        Assert.Contains(actual, v => v != 0f);
        for (int j = 0; j < ff; j++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[j]) == BitConverter.SingleToInt32Bits(actual[j]), $"h[{j}]: fused {actual[j]} vs separate {expected[j]}");
        }

        Assert.Throws<ArgumentException>(() => Kernels.GemvSwiGlu(dw, dx, dgu, splitK));   // h must be [1, ff], not [1, 2·ff]
        foreach (var t in new[] { dx, dw, dgu, separate, fused })
        {
            t.Buffer.Dispose();
        }
    }

    [Theory]
    [InlineData(1000)]   // multiple of 8: eight columns per thread
    [InlineData(1001)]   // scalar path
    public void SwiGlu_MatchesReference(int ff)
    {
        var device = Gpu.Device;
        int rows = 9;
        var gu = Gpu.RandomBf16(rows * 2 * ff, 21, 4);
        var dgu = Gpu.UploadBf16(device, gu, rows, 2 * ff);
        var dh = Gpu.Poisoned(device, DType.BF16, rows, ff);
        Kernels.SwiGlu(dgu, dh, rows);
        var actual = Gpu.Download(dh);
        var expected = new float[rows * ff];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < ff; j++)
            {
                double g = gu[(r * 2 * ff) + j], u = gu[(r * 2 * ff) + ff + j];
                expected[(r * ff) + j] = (float)(g / (1 + Math.Exp(-g)) * u);
            }
        }

        Assert.True(Gpu.RelativeError(actual, expected) < 4e-3);
        dgu.Buffer.Dispose();
        dh.Buffer.Dispose();
    }

    [Theory]
    [InlineData(32, false, 4, 2)]
    [InlineData(128, true, 4, 2)]
    [InlineData(128, false, 32, 8)]   // 40 rotated heads: five groups of eight per sincos
    [InlineData(64, true, 12, 2)]     // 14: a partial last group
    public void QkvRope_SplitsAddsBiasAndRotates(int d, bool bias, int heads, int kvHeads)
    {
        var device = Gpu.Device;
        int n = 13, width = (heads + (2 * kvHeads)) * d;
        var qkv = Gpu.RandomBf16(n * width, 31, 2);
        var b = bias ? Gpu.RandomBf16(width, 32) : new float[width];
        var inv = Compute.RotaryEmbedding.InverseFrequencies(d, 500000, null);
        var positions = Enumerable.Range(0, n).Select(i => (i * 977) % 5000).ToArray();
        var dqkv = Gpu.UploadF32(device, qkv, n, width);
        var db = Gpu.UploadF32(device, b, 1, width);
        var dinv = Gpu.UploadF32(device, inv, 1, d / 2);
        using var dpos = device.Allocate(n * 4, "positions");
        dpos.CopyFromHost<int>(positions);
        var dq = Gpu.Poisoned(device, DType.BF16, n, heads * d);
        var dk = Gpu.Poisoned(device, DType.BF16, n, kvHeads * d);
        var dv = Gpu.Poisoned(device, DType.BF16, n, kvHeads * d);
        Kernels.QkvRope(dqkv, bias ? db.Address : 0, dpos.Address, dinv, dq, dk, dv, n, heads, kvHeads, d);
        var withBias = new float[n * width];
        for (int t = 0; t < n; t++)
        {
            for (int c = 0; c < width; c++)
            {
                withBias[(t * width) + c] = qkv[(t * width) + c] + b[c];
            }
        }

        var q = new float[n * heads * d];
        var k = new float[n * kvHeads * d];
        var v = new float[n * kvHeads * d];
        for (int t = 0; t < n; t++)
        {
            Array.Copy(withBias, t * width, q, t * heads * d, heads * d);
            Array.Copy(withBias, (t * width) + (heads * d), k, t * kvHeads * d, kvHeads * d);
            Array.Copy(withBias, (t * width) + ((heads + kvHeads) * d), v, t * kvHeads * d, kvHeads * d);
        }

        Compute.CpuBackend.Shared.Rope(q, positions, heads, d, inv);
        Compute.CpuBackend.Shared.Rope(k, positions, kvHeads, d, inv);
        Assert.True(Gpu.RelativeError(Gpu.Download(dq), q) < 4e-3);
        Assert.True(Gpu.RelativeError(Gpu.Download(dk), k) < 4e-3);
        Assert.True(Gpu.RelativeError(Gpu.Download(dv), v) < 4e-3);
        foreach (var t in (DeviceTensor[])[dqkv, db, dinv, dq, dk, dv])
        {
            t.Buffer.Dispose();
        }
    }

    [Theory]
    [InlineData(1, 32)]
    [InlineData(63, 64)]
    [InlineData(65, 32)]
    [InlineData(100, 32)]
    [InlineData(129, 128)]
    [InlineData(300, 128)]
    [InlineData(777, 64)]
    [InlineData(1000, 64)]
    public void FlashPrefill_MatchesFloat64CausalAttention(int n, int d)
    {
        var device = Gpu.Device;
        var c = new CausalCase(device, n, d, heads: 8, kvHeads: 2);
        Kernels.FlashPrefill(c.Q, c.K, c.V, c.Output, n, c.Heads, c.KvHeads, d, c.Scale);

        double err = Gpu.RelativeError(Gpu.Download(c.Output), c.Expected);
        Assert.True(err < 1.5e-2, $"relative error {err:E2}");
        c.Dispose();
    }

    [Theory]
    [InlineData(1, 4, 2)]
    [InlineData(63, 8, 2)]
    [InlineData(65, 8, 8)]
    [InlineData(129, 8, 2)]
    [InlineData(300, 4, 1)]
    [InlineData(1000, 8, 2)]
    [InlineData(1283, 32, 8)]
    public void FlashPrefillWgmma_MatchesFloat64CausalAttention_AndItsLogSumExp(int n, int heads, int kvHeads)
    {
        // Hopper only (compute capability 9.0: wgmma); the engine falls back to the mma.sync kernel elsewhere.
        var device = Gpu.Device;
        Assert.SkipUnless(Kernels.HasWgmmaPrefill, $"{device.Name} ({device.Architecture}) has no wgmma: the kernel is built for sm_90a only");
        var c = new CausalCase(device, n, 128, heads, kvHeads);
        // Vᵀ wider than the prompt needs and poisoned: the kernel reads only the first padded columns of each row.
        var vt = Gpu.Poisoned(device, DType.BF16, kvHeads * 128, LlamaKernels.WgmmaPaddedKeys(n) + LlamaKernels.WgmmaKeyPadding);
        var lse = device.Allocate((long)heads * n * 4, "lse");
        Kernels.FlashPrefillWgmma(c.Q, c.K, c.V, vt, c.Output, n, heads, kvHeads, c.Scale, lse.Address);

        double err = Gpu.RelativeError(Gpu.Download(c.Output), c.Expected);
        Assert.True(err < 1.5e-2, $"relative error {err:E2}");
        var actualLse = new float[heads * n];
        lse.CopyToHost<float>(actualLse);
        double worstLse = 0;
        for (int i = 0; i < actualLse.Length; i++)
        {
            worstLse = Math.Max(worstLse, Math.Abs(actualLse[i] - c.Log2SumExp[i]));
        }

        Assert.True(worstLse < 2e-2, $"log-sum-exp off by {worstLse:E2} (log2 units)");
        Assert.Throws<ArgumentException>(() => Kernels.FlashPrefillWgmma(c.Q, c.K, c.V, c.Output, c.Output, n, heads, kvHeads, c.Scale));
        vt.Buffer.Dispose();
        lse.Dispose();
        c.Dispose();
    }

    /// <summary>Random bf16 q, k, v of a causal GQA prompt on the device, and its attention in float64.</summary>
    private sealed class CausalCase : IDisposable
    {
        public CausalCase(CudaDevice device, int n, int d, int heads, int kvHeads)
        {
            Heads = heads;
            KvHeads = kvHeads;
            Scale = 1f / MathF.Sqrt(d);
            var q = Gpu.RandomBf16(n * heads * d, n + d, 1.5f);
            var k = Gpu.RandomBf16(n * kvHeads * d, n + d + 1, 1.5f);
            var v = Gpu.RandomBf16(n * kvHeads * d, n + d + 2);
            Q = Gpu.UploadBf16(device, q, n, heads * d);
            K = Gpu.UploadBf16(device, k, n, kvHeads * d);
            V = Gpu.UploadBf16(device, v, n, kvHeads * d);
            Output = Gpu.Poisoned(device, DType.BF16, n, heads * d);
            (Expected, Log2SumExp) = ReferenceAttention.Causal(q, k, v, n, heads, kvHeads, d, Scale);
        }

        public int Heads { get; }

        public int KvHeads { get; }

        public float Scale { get; }

        public DeviceTensor Q { get; }

        public DeviceTensor K { get; }

        public DeviceTensor V { get; }

        public DeviceTensor Output { get; }

        /// <summary>Attention outputs [n, heads, d].</summary>
        public float[] Expected { get; }

        /// <summary>log2 of each row's softmax normaliser in scaled-logit units, [heads, n] (what the kernels write as lse).</summary>
        public float[] Log2SumExp { get; }

        public void Dispose()
        {
            foreach (var t in (DeviceTensor[])[Q, K, V, Output])
            {
                t.Buffer.Dispose();
            }
        }
    }

    /// <summary>The metadata of one slot's ragged units for a decode-attention launch: unit u's rows start at u · cap · d.</summary>
    private sealed class RaggedUnits : IDisposable
    {
        public RaggedUnits(CudaDevice device, int[] lengths, int cap, int d)
        {
            int units = lengths.Length;
            Offsets = device.Allocate(units * 8L, "unit offsets");
            Offsets.CopyFromHost<long>(Enumerable.Range(0, units).Select(u => (long)u * cap * d).ToArray());
            Lengths = device.Allocate(units * 4L, "lengths");
            Lengths.CopyFromHost<int>(lengths);
            Slots = device.Allocate(4, "slots");
            Slots.CopyFromHost<int>([0]);
        }

        public DeviceBuffer Offsets { get; }

        public DeviceBuffer Lengths { get; }

        public DeviceBuffer Slots { get; }

        public void Dispose()
        {
            Offsets.Dispose();
            Lengths.Dispose();
            Slots.Dispose();
        }
    }
}
