using System.Runtime.InteropServices;

namespace UNComp.Runtime.Cuda;

/// <summary>One kernel parameter in an 8-byte slot: a device address, an int or a float (little-endian low bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public readonly struct KernelArg
{
    [FieldOffset(0)]
    private readonly ulong _bits;

    private KernelArg(ulong bits) => _bits = bits;

    /// <summary>A device address.</summary>
    public static implicit operator KernelArg(ulong address) => new(address);

    /// <summary>A 32-bit int.</summary>
    public static implicit operator KernelArg(int value) => new((uint)value);

    /// <summary>A 32-bit float.</summary>
    public static implicit operator KernelArg(float value) => new(BitConverter.SingleToUInt32Bits(value));

    /// <summary>A 64-bit int.</summary>
    public static implicit operator KernelArg(long value) => new((ulong)value);

    /// <summary>A device tensor's address.</summary>
    public static implicit operator KernelArg(DeviceTensor tensor) => new(tensor.Address);

    /// <summary>A device address.</summary>
    public static KernelArg FromUInt64(ulong address) => new(address);

    /// <summary>A 32-bit int.</summary>
    public static KernelArg FromInt32(int value) => new((uint)value);

    /// <summary>A 32-bit float.</summary>
    public static KernelArg FromSingle(float value) => new(BitConverter.SingleToUInt32Bits(value));

    /// <summary>A 64-bit int.</summary>
    public static KernelArg FromInt64(long value) => new((ulong)value);

    /// <summary>A device tensor's address.</summary>
    public static KernelArg FromDeviceTensor(DeviceTensor tensor) => new(tensor.Address);
}
