using System.Numerics;
using System.Runtime.InteropServices;

namespace UNComp.Runtime.Compute;

/// <summary>
/// Finds NaN and ±Inf in float data: a value is non-finite exactly when its exponent bits are all ones, so the scan
/// masks the exponent of a whole vector at a time and only looks element by element inside a vector that hit.
/// Memory-bound: about one pass over the data at load, one vocab row per token for logits.
/// </summary>
public static class NonFiniteScan
{
    private const uint ExponentMask = 0x7F80_0000u;

    /// <summary>Index of the first NaN or infinity in <paramref name="values"/>, or -1 when every value is finite.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        var bits = MemoryMarshal.Cast<float, uint>(values);
        int i = 0;
        if (Vector.IsHardwareAccelerated && bits.Length >= Vector<uint>.Count)
        {
            var mask = new Vector<uint>(ExponentMask);
            int last = bits.Length - Vector<uint>.Count;
            for (; i <= last; i += Vector<uint>.Count)
            {
                var v = new Vector<uint>(bits.Slice(i, Vector<uint>.Count));
                if (Vector.EqualsAny(v & mask, mask))
                {
                    break;
                }
            }
        }

        for (; i < bits.Length; i++)
        {
            if ((bits[i] & ExponentMask) == ExponentMask)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Index of the first NaN or infinity among 16-bit values (bf16 when <paramref name="bf16"/>, else IEEE fp16), or
    /// -1: for loaders that keep weights in 16 bits (the GPU path) and never see them as fp32.
    /// </summary>
    public static int IndexOfNonFinite(ReadOnlySpan<ushort> values, bool bf16)
    {
        ushort mask = bf16 ? (ushort)0x7F80 : (ushort)0x7C00;
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<ushort>.Count)
        {
            var m = new Vector<ushort>(mask);
            int last = values.Length - Vector<ushort>.Count;
            for (; i <= last; i += Vector<ushort>.Count)
            {
                if (Vector.EqualsAny(new Vector<ushort>(values.Slice(i, Vector<ushort>.Count)) & m, m))
                {
                    break;
                }
            }
        }

        for (; i < values.Length; i++)
        {
            if ((values[i] & mask) == mask)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>"NaN", "+Inf" or "-Inf" for a non-finite value (its round-trip text otherwise).</summary>
    public static string Describe(float value) =>
        float.IsNaN(value) ? "NaN" : float.IsPositiveInfinity(value) ? "+Inf" : float.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
