using static UNComp.Runtime.Cuda.Interop.CudaDriverApi;

namespace UNComp.Runtime.Cuda;

/// <summary>
/// Attributes device time to named operations: an event is recorded on the stream after each operation, and
/// after a synchronisation the gaps between consecutive events are summed per name. For "where the time goes"
/// reports of eagerly run (not graph-captured) work.
/// </summary>
public sealed class StreamProfiler : IDisposable
{
    private readonly CudaDevice _device;
    private readonly List<nint> _events = [];
    private readonly List<string> _names = [];
    private int _used;

    /// <summary>Creates a profiler for the device's stream.</summary>
    public StreamProfiler(CudaDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
    }

    /// <summary>Starts a measurement: records the reference event.</summary>
    public void Begin()
    {
        _used = 0;
        _names.Clear();
        Record("(start)");
    }

    /// <summary>Records that the operation <paramref name="name"/> was queued last.</summary>
    public void Mark(string name) => Record(name);

    /// <summary>Waits for the work and returns milliseconds per operation name, summed.</summary>
    public Dictionary<string, double> End()
    {
        _device.MakeCurrent();
        Check(cuEventSynchronize(_events[_used - 1]));
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 1; i < _used; i++)
        {
            Check(cuEventElapsedTime(out float ms, _events[i - 1], _events[i]));
            result[_names[i]] = result.GetValueOrDefault(_names[i]) + ms;
        }

        return result;
    }

    private void Record(string name)
    {
        _device.MakeCurrent();
        if (_used == _events.Count)
        {
            Check(cuEventCreate(out nint e, CU_EVENT_DEFAULT));
            _events.Add(e);
        }

        Check(cuEventRecord(_events[_used], _device.Stream));
        _names.Add(name);
        _used++;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _device.MakeCurrent();
        foreach (nint e in _events)
        {
            _ = cuEventDestroy(e);
        }

        _events.Clear();
    }
}
