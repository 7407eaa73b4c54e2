using static UNComp.Runtime.Cuda.Interop.CudaDriverApi;

namespace UNComp.Runtime.Cuda;

/// <summary>
/// An owned block of device memory. Copies are queued on the device's stream; <see cref="CopyToHost{T}"/> waits for
/// them (a read-back is the synchronisation point).
/// </summary>
public sealed unsafe class DeviceBuffer : IDisposable
{
    private readonly CudaDevice _device;
    private ulong _pointer;

    internal DeviceBuffer(CudaDevice device, ulong address, long bytes)
    {
        _device = device;
        _pointer = address;
        Bytes = bytes;
    }

    /// <summary>Size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>The device address.</summary>
    public ulong Address
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer == 0, this);
            return _pointer;
        }
    }

    /// <summary>The device.</summary>
    public CudaDevice Device => _device;

    /// <summary>Queues a host-to-device copy of <paramref name="source"/> at byte <paramref name="offset"/>; waits for it (the span may be reused).</summary>
    public void CopyFromHost<T>(ReadOnlySpan<T> source, long offset = 0)
        where T : unmanaged
    {
        long bytes = (long)source.Length * sizeof(T);
        CheckRange(offset, bytes);
        _device.MakeCurrent();
        fixed (T* p = source)
        {
            Check(cuMemcpyHtoDAsync(Address + (ulong)offset, p, (nuint)bytes, _device.Stream));
            Check(cuStreamSynchronize(_device.Stream));
        }
    }

    /// <summary>Copies <paramref name="destination"/>.Length elements from byte <paramref name="offset"/> to the host, after all queued work.</summary>
    public void CopyToHost<T>(Span<T> destination, long offset = 0)
        where T : unmanaged
    {
        long bytes = (long)destination.Length * sizeof(T);
        CheckRange(offset, bytes);
        _device.MakeCurrent();
        fixed (T* p = destination)
        {
            Check(cuMemcpyDtoHAsync(p, Address + (ulong)offset, (nuint)bytes, _device.Stream));
            Check(cuStreamSynchronize(_device.Stream));
        }
    }

    /// <summary>Queues a device-to-device copy of <paramref name="bytes"/> from <paramref name="source"/> (no wait).</summary>
    public void CopyFrom(DeviceBuffer source, long sourceOffset, long offset, long bytes)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckRange(offset, bytes);
        source.CheckRange(sourceOffset, bytes);
        _device.MakeCurrent();
        Check(cuMemcpyDtoDAsync(Address + (ulong)offset, source.Address + (ulong)sourceOffset, (nuint)bytes, _device.Stream));
    }

    /// <summary>Queues a fill of the whole buffer with one byte value.</summary>
    public void Fill(byte value)
    {
        _device.MakeCurrent();
        Check(cuMemsetD8Async(Address, value, (nuint)Bytes, _device.Stream));
    }

    private void CheckRange(long offset, long bytes)
    {
        if (offset < 0 || bytes < 0 || offset + bytes > Bytes)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"a copy of {bytes} bytes at offset {offset} does not fit the {Bytes}-byte buffer.");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_pointer != 0)
        {
            _device.MakeCurrent();
            _ = cuMemFree(_pointer);
            _pointer = 0;
        }
    }
}
