using static UNComp.Runtime.Cuda.Interop.CudaDriverApi;

namespace UNComp.Runtime.Cuda;

/// <summary>
/// A captured sequence of stream work (kernels, cuBLASLt calls, copies between device buffers) replayed with one
/// launch: a decode step becomes one graph launch instead of hundreds of kernel launches.
/// </summary>
public sealed class CudaGraph : IDisposable
{
    private readonly CudaDevice _device;
    private nint _graph;
    private nint _exec;

    private CudaGraph(CudaDevice device, nint graph, nint exec)
    {
        _device = device;
        _graph = graph;
        _exec = exec;
    }

    /// <summary>Captures what <paramref name="record"/> queues on the device's stream (nothing runs during capture).</summary>
    public static CudaGraph Capture(CudaDevice device, Action record)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(record);
        device.MakeCurrent();
        Check(cuStreamBeginCapture(device.MainStream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
        nint graph;
        try
        {
            record();
        }
        catch
        {
            _ = cuStreamEndCapture(device.MainStream, out graph);
            if (graph != 0)
            {
                _ = cuGraphDestroy(graph);
            }

            throw;
        }

        Check(cuStreamEndCapture(device.MainStream, out graph));
        int r = cuGraphInstantiateWithFlags(out nint exec, graph, CUDA_GRAPH_INSTANTIATE_FLAG_USE_NODE_PRIORITY);
        if (r != 0)
        {
            _ = cuGraphDestroy(graph);
            throw Error(r, "cuGraphInstantiateWithFlags");
        }

        return new CudaGraph(device, graph, exec);
    }

    /// <summary>Queues one replay on the device's stream.</summary>
    public void Launch()
    {
        ObjectDisposedException.ThrowIf(_exec == 0, this);
        _device.MakeCurrent();
        Check(cuGraphLaunch(_exec, _device.MainStream));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_exec != 0)
        {
            _device.MakeCurrent();
            _ = cuGraphExecDestroy(_exec);
            _ = cuGraphDestroy(_graph);
            _exec = 0;
            _graph = 0;
        }
    }
}
