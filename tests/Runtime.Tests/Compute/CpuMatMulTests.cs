using UNComp.Runtime.Compute;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Compute;

/// <summary>The packed GEMM and the GEMV behind <see cref="CpuBackend.MatMul"/>: edges, K blocks, bias, threads.</summary>
public class CpuMatMulTests
{
    [Theory]
    [InlineData(1, 37, 19, true)]
    [InlineData(5, 64, 33, false)]
    [InlineData(3, 8, 100, true)]
    [InlineData(1, 256, 768, false)] // decode GEMV
    [InlineData(2, 33, 70, true)] // two rows still take the GEMV path; odd sizes
    [InlineData(6, 64, 64, false)] // exactly one register tile (AVX-512)
    [InlineData(7, 40, 17, true)] // one full row tile plus an edge row, an edge panel
    [InlineData(61, 600, 130, true)] // three K blocks accumulate; bias only once
    [InlineData(100, 256, 300, false)] // several tasks per worker, column edge of a 256-column task
    public void MatMul_MatchesDoublePrecisionLoops(int rows, int inDim, int outDim, bool bias)
    {
        var x = Approx.Random(rows * inDim, 1);
        var w = Approx.Random(outDim * inDim, 2);
        var b = bias ? Approx.Random(outDim, 3) : [];
        var y = new float[rows * outDim];
        new CpuBackend(3).MatMul(x, w, b, y, rows, inDim, outDim);
        var expected = new float[rows * outDim];
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outDim; o++)
            {
                double acc = bias ? b[o] : 0;
                for (int i = 0; i < inDim; i++)
                {
                    acc += (double)x[(r * inDim) + i] * w[(o * inDim) + i];
                }

                expected[(r * outDim) + o] = (float)acc;
            }
        }

        Approx.Equal(expected, y, 2e-5 * Math.Sqrt(inDim), "matmul");
    }

    [Theory]
    [InlineData(1, 256, 4096)]
    [InlineData(1024, 256, 256)]
    [InlineData(300, 768, 256)]
    public void MatMul_GivesBitIdenticalResultsForAnyThreadCount(int rows, int inDim, int outDim)
    {
        // Each output's summation order depends on the kernel and the K blocks only, never on how work is split.
        var x = Approx.Random(rows * inDim, 4);
        var w = Approx.Random(outDim * inDim, 5);
        var one = new float[rows * outDim];
        var many = new float[rows * outDim];
        new CpuBackend(1).MatMul(x, w, [], one, rows, inDim, outDim);
        new CpuBackend(4).MatMul(x, w, [], many, rows, inDim, outDim);
        Assert.Equal(one, many);
    }

    [Fact]
    public void MatMul_LeavesOutputsBeyondTheRequestedRowsUntouched()
    {
        var x = Approx.Random(9 * 20, 6);
        var w = Approx.Random(70 * 20, 7);
        var y = Enumerable.Repeat(42f, (9 * 70) + 5).ToArray();
        new CpuBackend(2).MatMul(x, w, [], y, 9, 20, 70);
        Assert.All(y.AsSpan(9 * 70).ToArray(), v => Assert.Equal(42f, v));
    }
}
