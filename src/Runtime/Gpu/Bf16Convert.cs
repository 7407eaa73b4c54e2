namespace UNComp.Runtime.Gpu;

/// <summary>fp32 ↔ bf16 on the host, round to nearest even (as the GPU kernels and PyTorch do).</summary>
public static class Bf16Convert
{
    /// <summary>Rounds each float to bf16 bits.</summary>
    public static void FromSingle(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("destination is shorter than source.", nameof(destination));
        }

        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = FromSingle(source[i]);
        }
    }

    /// <summary>Rounds one float to bf16 bits (NaN stays NaN).</summary>
    public static ushort FromSingle(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffffu) > 0x7f800000u)
        {
            return (ushort)((u >> 16) | 0x40);
        }

        u += 0x7fffu + ((u >> 16) & 1u);
        return (ushort)(u >> 16);
    }

    /// <summary>The float a bf16 pattern stands for.</summary>
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Rounds a float to the nearest bf16 value, as a float.</summary>
    public static float Round(float value) => ToSingle(FromSingle(value));
}
