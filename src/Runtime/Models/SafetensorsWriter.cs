using System.Runtime.InteropServices;
using System.Text.Json;

namespace UNComp.Runtime.Models;

/// <summary>
/// Writes a <c>.safetensors</c> file from fp32 data, stored as F32, F16 or BF16 (BF16 rounds to nearest even).
/// Used by tests and tools.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly List<(string Name, string DType, long[] Shape, byte[] Bytes)> _tensors = [];

    /// <summary>Adds a tensor.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="shape">Dimensions; their product must equal <paramref name="data"/>'s length.</param>
    /// <param name="data">Values, row-major.</param>
    /// <param name="dtype">F32, F16 or BF16.</param>
    public SafetensorsWriter Add(string name, long[] shape, ReadOnlySpan<float> data, string dtype = "F32")
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (long d in shape)
        {
            count *= d;
        }

        if (count != data.Length)
        {
            throw new ArgumentException($"tensor '{name}': shape holds {count} elements but {data.Length} values were given.", nameof(data));
        }

        byte[] bytes = dtype switch
        {
            "F32" => MemoryMarshal.AsBytes(data).ToArray(),
            "F16" => ToF16(data),
            "BF16" => ToBf16(data),
            _ => throw new ArgumentException($"dtype '{dtype}' is not supported; use F32, F16 or BF16.", nameof(dtype)),
        };
        _tensors.Add((name, dtype, (long[])shape.Clone(), bytes));
        return this;
    }

    /// <summary>Adds a 64-bit integer tensor (I64), e.g. token ids in reference data.</summary>
    public SafetensorsWriter AddInt64(string name, long[] shape, ReadOnlySpan<long> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (long d in shape)
        {
            count *= d;
        }

        if (count != data.Length)
        {
            throw new ArgumentException($"tensor '{name}': shape holds {count} elements but {data.Length} values were given.", nameof(data));
        }

        _tensors.Add((name, "I64", (long[])shape.Clone(), MemoryMarshal.AsBytes(data).ToArray()));
        return this;
    }

    /// <summary>Rounds fp32 to bf16 (nearest even), as stored bits.</summary>
    public static ushort ToBf16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    private static byte[] ToBf16(ReadOnlySpan<float> data)
    {
        var bytes = new byte[data.Length * 2];
        var dst = MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
        for (int i = 0; i < data.Length; i++)
        {
            dst[i] = ToBf16Bits(data[i]);
        }

        return bytes;
    }

    private static byte[] ToF16(ReadOnlySpan<float> data)
    {
        var bytes = new byte[data.Length * 2];
        var dst = MemoryMarshal.Cast<byte, Half>(bytes.AsSpan());
        for (int i = 0; i < data.Length; i++)
        {
            dst[i] = (Half)data[i];
        }

        return bytes;
    }

    /// <summary>Writes the file (header padded with spaces to a multiple of 8 bytes).</summary>
    public void Save(string path)
    {
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            long offset = 0;
            foreach (var t in _tensors)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType);
                w.WriteStartArray("shape");
                foreach (long d in t.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Bytes.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Bytes.Length;
            }

            w.WriteEndObject();
        }

        while (header.Length % 8 != 0)
        {
            header.WriteByte((byte)' ');
        }

        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        fs.Write(BitConverter.GetBytes((ulong)header.Length));
        header.Position = 0;
        header.CopyTo(fs);
        foreach (var t in _tensors)
        {
            fs.Write(t.Bytes);
        }
    }
}
