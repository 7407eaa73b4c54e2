using static UNComp.Runtime.Cuda.Interop.CudaDriverApi;

namespace UNComp.Runtime.Cuda;

/// <summary>
/// A CUDA event without timing: a point in one stream's queue that another stream can wait for
/// (<see cref="CudaDevice.BeginSide"/>, <see cref="CudaDevice.EndSide"/>, <see cref="CudaDevice.WaitFor"/>). Inside a
/// graph capture, recording and waiting become edges of the graph.
/// </summary>
public sealed class CudaEvent : IDisposable
{
    private readonly CudaDevice _device;
    private nint _event;

    /// <summary>Creates an event on <paramref name="device"/>.</summary>
    public CudaEvent(CudaDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        device.MakeCurrent();
        Check(cuEventCreate(out _event, CU_EVENT_DISABLE_TIMING));
    }

    internal nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_event == 0, this);
            return _event;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_event != 0)
        {
            _device.MakeCurrent();
            _ = cuEventDestroy(_event);
            _event = 0;
        }
    }
}
