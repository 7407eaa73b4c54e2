namespace UNComp.Runtime.Cuda;

/// <summary>Element types of device tensors.</summary>
public enum DType
{
    /// <summary>32-bit float.</summary>
    F32,

    /// <summary>bfloat16 (the upper half of an IEEE float32).</summary>
    BF16,

    /// <summary>32-bit signed integer.</summary>
    I32,
}

/// <summary>Sizes of <see cref="DType"/> elements.</summary>
public static class DTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this DType type) => type == DType.BF16 ? 2 : 4;
}
