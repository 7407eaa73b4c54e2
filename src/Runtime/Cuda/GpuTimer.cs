using static UNComp.Runtime.Cuda.Interop.CudaDriverApi;

namespace UNComp.Runtime.Cuda;

/// <summary>Times stream work with CUDA events (device time, not host time).</summary>
public sealed class GpuTimer : IDisposable
{
    private readonly CudaDevice _device;
    private nint _start;
    private nint _end;

    /// <summary>Creates the two events.</summary>
    public GpuTimer(CudaDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        device.MakeCurrent();
        Check(cuEventCreate(out _start, CU_EVENT_DEFAULT));
        Check(cuEventCreate(out _end, CU_EVENT_DEFAULT));
    }

    /// <summary>Records the start on the stream.</summary>
    public void Start()
    {
        _device.MakeCurrent();
        Check(cuEventRecord(_start, _device.Stream));
    }

    /// <summary>Records the end, waits for it and returns the milliseconds between start and end.</summary>
    public float StopMilliseconds()
    {
        _device.MakeCurrent();
        Check(cuEventRecord(_end, _device.Stream));
        Check(cuEventSynchronize(_end));
        Check(cuEventElapsedTime(out float ms, _start, _end));
        return ms;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_start != 0)
        {
            _device.MakeCurrent();
            _ = cuEventDestroy(_start);
            _ = cuEventDestroy(_end);
            _start = _end = 0;
        }
    }
}
