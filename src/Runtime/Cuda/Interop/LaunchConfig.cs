using System.Runtime.InteropServices;

namespace UNComp.Runtime.Cuda.Interop;

/// <summary>
/// <c>CUlaunchAttribute</c> of cuda.h: the attribute id, 4 bytes of padding and a 64-byte value union, of which only the
/// first int is used here (<c>programmaticStreamSerializationAllowed</c>, <c>priority</c>).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal struct LaunchAttribute
{
    /// <summary><c>CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION</c>.</summary>
    public const int ProgrammaticStreamSerialization = 6;

    /// <summary><c>CU_LAUNCH_ATTRIBUTE_PRIORITY</c>: the kernel's scheduling priority (a stream priority value).</summary>
    public const int Priority = 8;

    [FieldOffset(0)] public int Id;
    [FieldOffset(8)] public int Value;
}

/// <summary><c>CUlaunchConfig</c> of cuda.h (grid, block, dynamic shared memory, stream and an attribute array).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LaunchConfig
{
    public uint GridX, GridY, GridZ;
    public uint BlockX, BlockY, BlockZ;
    public uint SharedBytes;
    public nint Stream;
    public LaunchAttribute* Attributes;
    public uint AttributeCount;
}
