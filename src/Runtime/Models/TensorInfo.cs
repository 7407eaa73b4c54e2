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

    /// <summary>Element type exactly as written in the file: <c>F32</c>, <c>F16</c> or <c>BF16</c>.</summary>
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

    /// <summary>Bytes per element of a supported dtype, or 0 when unsupported.</summary>
    public static int DTypeSize(string dtype) => dtype switch
    {
        "F32" => 4,
        "F16" => 2,
        "BF16" => 2,
        _ => 0,
    };

    /// <inheritdoc />
    public override string ToString() => $"{Name} {DType}[{string.Join(",", _shape)}]";
}
