using System.Buffers.Binary;
using System.Text.Json;

namespace UNComp.Runtime.Profiles;

/// <summary>
/// Reads tensor names, dtypes and shapes from safetensors headers (8-byte little-endian length, then JSON),
/// without touching the weights: enough for <see cref="ModelFingerprint"/>.
/// </summary>
public static class SafetensorsHeader
{
    /// <summary>Tensors of one .safetensors file (the <c>__metadata__</c> entry skipped).</summary>
    /// <exception cref="InvalidDataException">The header is truncated or not JSON; the message names the file.</exception>
    public static IReadOnlyList<TensorDescriptor> Read(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (length == 0 || length > 100_000_000 || (long)length > stream.Length - 8)
        {
            throw new InvalidDataException($"{path}: safetensors header length {length} is impossible for a {stream.Length}-byte file.");
        }

        var header = new byte[length];
        stream.ReadExactly(header);
        using var doc = JsonDocument.Parse(header);
        var list = new List<TensorDescriptor>();
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                continue;
            }

            string dtype = entry.Value.GetProperty("dtype").GetString() ?? throw new InvalidDataException($"{path}: tensor {entry.Name} has no dtype.");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            list.Add(new TensorDescriptor(entry.Name, dtype, shape));
        }

        return list;
    }

    /// <summary>Tensors of every *.safetensors file of a model folder (empty when there is none).</summary>
    public static IReadOnlyList<TensorDescriptor> ReadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return Directory.GetFiles(directory, "*.safetensors").Order(StringComparer.Ordinal).SelectMany(Read).ToList();
    }
}
