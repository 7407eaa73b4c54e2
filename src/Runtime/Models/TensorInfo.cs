namespace UNComp.Runtime.Models;

/// <summary>One tensor entry of a safetensors header.</summary>
public sealed class TensorInfo
{
    internal TensorInfo(string name, string dtype, long[] shape, long dataBegin, long dataEnd, string file)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        DataBegin = dataBegin;
        DataEnd = dataEnd;
        File = file;
        long count = 1;
        foreach (long d in shape)
        {
            count *= d;
        }

        ElementCount = count;
    }

    private readonly long[] _shape;

    /// <summary>Tensor name as in the file, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// Element type exactly as written in the file: <c>F32</c>, <c>F16</c>, <c>BF16</c> (model weights), or
    /// <c>F64</c>, <c>I64</c>, <c>I32</c>, <c>I16</c>, <c>I8</c>, <c>U8</c>, <c>BOOL</c> (reference data such as golden files).
    /// </summary>
    public string DType { get; }

    /// <summary>Dimensions, outermost first (a copy; the entry is immutable).</summary>
    public long[] Shape => (long[])_shape.Clone();

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Dimension <paramref name="i"/>.</summary>
    public long Dim(int i) => _shape[i];

    /// <summary>Product of the dimensions.</summary>
    public long ElementCount { get; }

    /// <summary>The safetensors file holding the tensor.</summary>
    public string File { get; }

    internal long DataBegin { get; }

    internal long DataEnd { get; }

    /// <summary>The dtypes a safetensors file may use here.</summary>
    public const string SupportedDTypes = "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL";

    /// <summary>Bytes per element of a supported dtype, or 0 when unsupported.</summary>
    public static int DTypeSize(string dtype) => dtype switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" => 4,
        "F16" or "BF16" or "I16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => 0,
    };

    /// <summary>Whether the dtype can hold model weights (F32, F16, BF16).</summary>
    public static bool IsWeightDType(string dtype) => dtype is "F32" or "F16" or "BF16";

    /// <inheritdoc />
    public override string ToString() => $"{Name} {DType}[{string.Join(",", _shape)}]";
}
