using System.IO.MemoryMappedFiles;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace UNComp.Runtime.Models;

/// <summary>
/// A memory-mapped <c>.safetensors</c> file. The header is validated when the file is opened: the 8-byte header
/// length is bounded by the file size (and 100 MB), the header is a JSON object, every tensor has a supported dtype
/// (F32, F16, BF16 for weights; F64 and integer types for reference data), a shape whose byte size equals its <c>data_offsets</c> span, offsets inside the data section,
/// and no two tensors overlap. Errors are <see cref="ModelFormatException"/>s naming the file, tensor and problem.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>Largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly Dictionary<string, TensorInfo> _byName;
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _data;
    private bool _disposed;

    private SafetensorsFile(string path, List<TensorInfo> tensors, long dataStart, long dataLength)
    {
        Path = path;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        DataLength = dataLength;
        if (dataLength > 0)
        {
            _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _data = p + _view.PointerOffset + dataStart;
        }
    }

    /// <summary>The file path.</summary>
    public string Path { get; }

    /// <summary>Header entries in file order.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>Length of the data section in bytes.</summary>
    public long DataLength { get; }

    /// <summary>Opens and validates a safetensors file.</summary>
    /// <exception cref="ModelFormatException">The file is missing or its header is invalid.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw ModelFormatException.For(path, "file not found.");
        }

        long fileLength = new FileInfo(path).Length;
        if (fileLength < 8)
        {
            throw ModelFormatException.For(path, $"file is {fileLength} bytes; a safetensors file starts with an 8-byte little-endian header length.");
        }

        byte[] header;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            Span<byte> lenBytes = stackalloc byte[8];
            fs.ReadExactly(lenBytes);
            ulong headerLength = BitConverter.ToUInt64(lenBytes);
            if (headerLength > (ulong)(fileLength - 8))
            {
                throw ModelFormatException.For(path, $"header length {headerLength} exceeds the {fileLength - 8} bytes after the length prefix; the file is truncated or not safetensors.");
            }

            if (headerLength > MaxHeaderBytes)
            {
                throw ModelFormatException.For(path, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit.");
            }

            header = new byte[headerLength];
            fs.ReadExactly(header);
        }

        long dataStart = 8 + header.Length;
        long dataLength = fileLength - dataStart;
        var tensors = ParseHeader(path, header, dataLength);
        return new SafetensorsFile(path, tensors, dataStart, dataLength);
    }

    /// <summary>Validates a header (the JSON after the length prefix) against a data section of <paramref name="dataLength"/> bytes.</summary>
    internal static List<TensorInfo> ParseHeader(string path, byte[] header, long dataLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException ex)
        {
            throw ModelFormatException.For(path, $"header is not valid JSON ({ex.Message}).", ex);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw ModelFormatException.For(path, "header must be a JSON object mapping tensor names to {dtype, shape, data_offsets}.");
            }

            if (JsonStrings.FindInvalid(doc.RootElement) is { } bad)
            {
                throw ModelFormatException.For(path, $"header field '{bad}' is not valid Unicode (invalid UTF-8 or a lone surrogate escape).");
            }

            var tensors = new List<TensorInfo>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    continue;
                }

                tensors.Add(ParseEntry(path, prop.Name, prop.Value, dataLength));
            }

            CheckOverlaps(path, tensors);
            return tensors;
        }
    }

    private static TensorInfo ParseEntry(string path, string name, JsonElement e, long dataLength)
    {
        ModelFormatException Bad(string problem) => ModelFormatException.For(path, $"tensor '{name}': {problem}");
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw Bad("entry must be an object with dtype, shape and data_offsets.");
        }

        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
        {
            throw Bad("missing string field 'dtype'.");
        }

        string dtype = dt.GetString()!;
        int elementSize = TensorInfo.DTypeSize(dtype);
        if (elementSize == 0)
        {
            throw Bad($"dtype '{dtype}' is not supported; supported: {TensorInfo.SupportedDTypes}.");
        }

        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
        {
            throw Bad("missing array field 'shape'.");
        }

        var shape = new long[sh.GetArrayLength()];
        long elements = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (sh[i].ValueKind != JsonValueKind.Number || !sh[i].TryGetInt64(out shape[i]) || shape[i] < 0)
            {
                throw Bad($"shape[{i}] must be a non-negative integer, found {JsonConfigReader.Show(sh[i])}.");
            }

            elements = shape[i] == 0 || elements <= long.MaxValue / shape[i] ? elements * shape[i] : -1;
            if (elements < 0)
            {
                throw Bad("shape is too large.");
            }
        }

        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2
            || !off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end))
        {
            throw Bad("'data_offsets' must be an array of two integers [begin, end].");
        }

        if (begin < 0 || end < begin || end > dataLength)
        {
            throw Bad($"data_offsets [{begin}, {end}] lie outside the data section of {dataLength} bytes.");
        }

        if (elements > long.MaxValue / elementSize || elements * elementSize != end - begin)
        {
            throw Bad($"shape [{string.Join(", ", shape)}] × {dtype} ({elementSize} bytes) = {elements * elementSize} bytes, but data_offsets [{begin}, {end}] span {end - begin} bytes.");
        }

        return new TensorInfo(name, dtype, shape, begin, end, path);
    }

    private static void CheckOverlaps(string path, List<TensorInfo> tensors)
    {
        var sorted = tensors.Where(t => t.DataEnd > t.DataBegin).OrderBy(t => t.DataBegin).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            var a = sorted[i - 1];
            var b = sorted[i];
            if (b.DataBegin < a.DataEnd)
            {
                throw ModelFormatException.For(path, $"tensor '{b.Name}': data_offsets [{b.DataBegin}, {b.DataEnd}] overlap tensor '{a.Name}' [{a.DataBegin}, {a.DataEnd}].");
            }
        }
    }

    /// <summary>The header entry of <paramref name="name"/>, or null.</summary>
    public TensorInfo? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The raw bytes of a tensor, valid while this file is open.</summary>
    public ReadOnlySpan<byte> GetBytes(TensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_disposed, this);
        long length = tensor.DataEnd - tensor.DataBegin;
        if (length == 0)
        {
            return [];
        }

        if (length > int.MaxValue)
        {
            throw ModelFormatException.For(Path, $"tensor '{tensor.Name}': {length} bytes exceeds the 2 GiB span limit of one read.");
        }

        return new ReadOnlySpan<byte>(_data + tensor.DataBegin, (int)length);
    }

    /// <summary>Reads a tensor converted to fp32 into <paramref name="destination"/> (length = element count).</summary>
    public void ReadSingle(TensorInfo tensor, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (destination.Length != tensor.ElementCount)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats; tensor '{tensor.Name}' has {tensor.ElementCount}.", nameof(destination));
        }

        if (tensor.DType is not ("F64" or "F32" or "F16" or "BF16"))
        {
            throw ModelFormatException.For(Path, $"tensor '{tensor.Name}': dtype {tensor.DType} is an integer type; read it with ReadInt64.");
        }

        ConvertToSingle(tensor.DType, GetBytes(tensor), destination);
    }

    /// <summary>Reads a tensor by name converted to fp32.</summary>
    /// <exception cref="ModelFormatException">No tensor of that name.</exception>
    public float[] ReadSingle(string name)
    {
        var t = Find(name) ?? throw ModelFormatException.For(Path, $"tensor '{name}' not found.");
        var result = new float[t.ElementCount];
        ReadSingle(t, result);
        return result;
    }

    /// <summary>Reads an integer (or BOOL) tensor by name as 64-bit integers.</summary>
    /// <exception cref="ModelFormatException">No tensor of that name, or a floating-point dtype.</exception>
    public long[] ReadInt64(string name)
    {
        var t = Find(name) ?? throw ModelFormatException.For(Path, $"tensor '{name}' not found.");
        var src = GetBytes(t);
        var result = new long[t.ElementCount];
        switch (t.DType)
        {
            case "I64":
                MemoryMarshal.Cast<byte, long>(src).CopyTo(result);
                break;
            case "I32":
                var i32 = MemoryMarshal.Cast<byte, int>(src);
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = i32[i];
                }

                break;
            case "I16":
                var i16 = MemoryMarshal.Cast<byte, short>(src);
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = i16[i];
                }

                break;
            case "I8":
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = (sbyte)src[i];
                }

                break;
            case "U8" or "BOOL":
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = src[i];
                }

                break;
            default:
                throw ModelFormatException.For(Path, $"tensor '{name}': dtype {t.DType} is not an integer type; use ReadSingle or ReadDouble.");
        }

        return result;
    }

    /// <summary>Reads a floating-point tensor by name as doubles (F64 exactly; others widened).</summary>
    public double[] ReadDouble(string name)
    {
        var t = Find(name) ?? throw ModelFormatException.For(Path, $"tensor '{name}' not found.");
        if (t.DType == "F64")
        {
            return MemoryMarshal.Cast<byte, double>(GetBytes(t)).ToArray();
        }

        return Array.ConvertAll(ReadSingle(name), v => (double)v);
    }

    internal static void ConvertToSingle(string dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case "F64":
                var f64 = MemoryMarshal.Cast<byte, double>(source);
                for (int i = 0; i < f64.Length; i++)
                {
                    destination[i] = (float)f64[i];
                }

                break;
            case "F32":
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case "F16":
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);
                break;
            case "BF16":
                var bf = MemoryMarshal.Cast<byte, ushort>(source);
                var bits = MemoryMarshal.Cast<float, uint>(destination);
                for (int i = 0; i < bf.Length; i++)
                {
                    bits[i] = (uint)bf[i] << 16;
                }

                break;
            default:
                throw new NotSupportedException($"dtype '{dtype}' is not a floating-point type; read it with ReadInt64.");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }

        _map?.Dispose();
    }
}
