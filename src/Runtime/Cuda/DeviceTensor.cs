namespace UNComp.Runtime.Cuda;

/// <summary>
/// A view of device memory as a row-major matrix: a buffer, a byte offset into it, an element type and a shape.
/// Views are values; the buffer owns the memory.
/// </summary>
/// <param name="Buffer">The owning buffer.</param>
/// <param name="Offset">Byte offset of element [0, 0].</param>
/// <param name="Type">Element type.</param>
/// <param name="Rows">Rows.</param>
/// <param name="Cols">Columns (the contiguous dimension).</param>
public readonly record struct DeviceTensor(DeviceBuffer Buffer, long Offset, DType Type, int Rows, int Cols)
{
    /// <summary>Device address of element [0, 0].</summary>
    public ulong Address => Buffer.Address + (ulong)Offset;

    /// <summary>Elements in the view.</summary>
    public long Elements => (long)Rows * Cols;

    /// <summary>Bytes spanned by the view.</summary>
    public long Bytes => Elements * Type.Size();

    /// <summary>Device address of row <paramref name="row"/>.</summary>
    public ulong RowAddress(int row) => Address + (ulong)((long)row * Cols * Type.Size());

    /// <summary>The first <paramref name="rows"/> rows.</summary>
    public DeviceTensor Take(int rows) => this with { Rows = rows };

    /// <summary>Rows [<paramref name="start"/>, start + <paramref name="rows"/>).</summary>
    public DeviceTensor Slice(int start, int rows) => this with { Offset = Offset + ((long)start * Cols * Type.Size()), Rows = rows };
}
