using UNComp.Runtime.Compute;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Tests.Compute;

/// <summary>The vectorised NaN/Inf scan finds the first non-finite value at every position, in fp32, bf16 and fp16.</summary>
public class NonFiniteScanTests
{
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void IndexOfNonFinite_EveryPositionAndLength_FindsTheFirst(float bad)
    {
        foreach (int length in new[] { 1, 7, 16, 33, 100 })
        {
            var data = Enumerable.Range(0, length).Select(i => (i - 50) / 50f * 1e37f).ToArray();
            Assert.Equal(-1, NonFiniteScan.IndexOfNonFinite(data));
            for (int at = 0; at < length; at++)
            {
                var copy = (float[])data.Clone();
                copy[at] = bad;
                if (at + 1 < length)
                {
                    copy[length - 1] = float.NaN;
                }

                Assert.Equal(at, NonFiniteScan.IndexOfNonFinite(copy));
                ushort[] bf16 = [.. copy.Select(SafetensorsWriter.ToBf16Bits)];
                ushort[] fp16 = [.. copy.Select(v => BitConverter.HalfToUInt16Bits(float.IsFinite(v) ? (Half)(v / 1e33f) : (Half)v))];
                Assert.Equal(at, NonFiniteScan.IndexOfNonFinite(bf16, bf16: true));
                Assert.Equal(at, NonFiniteScan.IndexOfNonFinite(fp16, bf16: false));
            }
        }
    }

    [Fact]
    public void Describe_NamesTheKind()
    {
        Assert.Equal("NaN", NonFiniteScan.Describe(float.NaN));
        Assert.Equal("+Inf", NonFiniteScan.Describe(float.PositiveInfinity));
        Assert.Equal("-Inf", NonFiniteScan.Describe(float.NegativeInfinity));
    }
}
