using static UNComp.Runtime.Cuda.Interop.CudaDriverApi;

namespace UNComp.Runtime.Cuda;

/// <summary>
/// Page-locked host memory: the source and target of asynchronous copies (a decode step's token ids in, its
/// sampled tokens out) that can overlap with device work and be queued without a synchronisation.
/// </summary>
public sealed unsafe class PinnedHostBuffer : IDisposable
{
    private readonly CudaDevice _device;
    private nint _host;

    /// <summary>Allocates <paramref name="bytes"/> of page-locked memory.</summary>
    public PinnedHostBuffer(CudaDevice device, long bytes)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1);
        _device = device;
        device.MakeCurrent();
        Check(cuMemAllocHost(out _host, (nuint)bytes));
        Bytes = bytes;
    }

    /// <summary>Size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>A typed view of <paramref name="count"/> elements at byte <paramref name="offset"/>.</summary>
    public Span<T> AsSpan<T>(long offset, int count)
        where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_host == 0, this);
        if (offset < 0 || offset + ((long)count * sizeof(T)) > Bytes)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"{count} elements at offset {offset} exceed the {Bytes}-byte pinned buffer.");
        }

        return new Span<T>((byte*)_host + offset, count);
    }

    /// <summary>Queues a copy of <paramref name="bytes"/> from this buffer at <paramref name="offset"/> to <paramref name="destination"/> (no wait).</summary>
    public void CopyToDeviceAsync(long offset, ulong destination, long bytes)
    {
        _device.MakeCurrent();
        Check(cuMemcpyHtoDAsync(destination, (byte*)_host + offset, (nuint)bytes, _device.Stream));
    }

    /// <summary>Queues a copy of <paramref name="bytes"/> from <paramref name="source"/> into this buffer at <paramref name="offset"/> (no wait).</summary>
    public void CopyFromDeviceAsync(ulong source, long offset, long bytes)
    {
        _device.MakeCurrent();
        Check(cuMemcpyDtoHAsync((byte*)_host + offset, source, (nuint)bytes, _device.Stream));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_host != 0)
        {
            _device.MakeCurrent();
            _ = cuMemFreeHost(_host);
            _host = 0;
        }
    }
}
