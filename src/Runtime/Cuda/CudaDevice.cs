using System.Text;
using UNComp.Runtime.Cuda.Interop;
using static UNComp.Runtime.Cuda.Interop.CudaDriverApi;

namespace UNComp.Runtime.Cuda;

/// <summary>
/// One NVIDIA GPU: its primary context, the stream every engine operation is queued on, and its properties. A second,
/// high-priority side stream takes work that may run beside the main one (<see cref="BeginSide"/> … <see cref="EndSide"/>,
/// joined with <see cref="WaitFor"/>). Work is asynchronous; <see cref="Synchronize"/> and read-backs are the only waits.
/// Not thread-safe: callers from several threads must serialise (each entry point makes the context current on the
/// calling thread).
/// </summary>
public sealed unsafe class CudaDevice : IDisposable
{
    private readonly nint _context;
    private nint _stream;
    private nint _side;
    private bool _onSide;
    private bool _disposed;

    private CudaDevice(int ordinal)
    {
        Check(cuInit(0));
        Check(cuDeviceGetCount(out int count));
        if (count == 0)
        {
            throw new CudaUnavailableException("the CUDA driver reports no GPU.");
        }

        if ((uint)ordinal >= (uint)count)
        {
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"device ordinal must be in [0, {count}).");
        }

        Check(cuDeviceGet(out int device, ordinal));
        Ordinal = device;
        byte* name = stackalloc byte[256];
        Check(cuDeviceGetName(name, 256, device));
        Name = Encoding.UTF8.GetString(name, new ReadOnlySpan<byte>(name, 256).IndexOf((byte)0));
        ComputeMajor = Attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        ComputeMinor = Attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        Multiprocessors = Attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        MaxSharedMemoryPerBlock = Attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        L2CacheBytes = Attribute(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
        Check(cuDeviceTotalMem(out nuint total, device));
        TotalMemory = (long)total;
        Check(cuDriverGetVersion(out int driver));
        DriverVersion = driver;
        Check(cuDevicePrimaryCtxRetain(out _context, device));
        Check(cuCtxSetCurrent(_context));
        Check(cuStreamCreate(out _stream, CU_STREAM_NON_BLOCKING));
    }

    /// <summary>Device ordinal.</summary>
    public int Ordinal { get; }

    /// <summary>Marketing name, e.g. "NVIDIA H100 80GB HBM3".</summary>
    public string Name { get; }

    /// <summary>Compute capability major version (9 for Hopper).</summary>
    public int ComputeMajor { get; }

    /// <summary>Compute capability minor version.</summary>
    public int ComputeMinor { get; }

    /// <summary>Streaming multiprocessors.</summary>
    public int Multiprocessors { get; }

    /// <summary>Largest dynamic shared memory a block may opt in to, in bytes.</summary>
    public int MaxSharedMemoryPerBlock { get; }

    /// <summary>L2 cache size in bytes.</summary>
    public int L2CacheBytes { get; }

    /// <summary>Device memory in bytes.</summary>
    public long TotalMemory { get; }

    /// <summary>CUDA driver version as an integer (13000 = 13.0).</summary>
    public int DriverVersion { get; }

    /// <summary>The device's architecture, e.g. <c>sm_90</c>.</summary>
    public string Architecture => $"sm_{ComputeMajor}{ComputeMinor}";

    /// <summary>Whether the device has Hopper's warpgroup tensor-core instructions (wgmma: compute capability 9.0 exactly).</summary>
    public bool HasWarpgroupMma => ComputeMajor == 9 && ComputeMinor == 0;

    /// <summary>
    /// The NVRTC target: <see cref="Architecture"/>, or <c>sm_90a</c> on compute capability 9.0, whose
    /// architecture-specific instructions (wgmma) run on that exact architecture only.
    /// </summary>
    public string CompileArchitecture => HasWarpgroupMma ? "sm_90a" : Architecture;

    /// <summary>The stream work is queued on now: the side stream between <see cref="BeginSide"/> and <see cref="EndSide"/>, else the main one.</summary>
    internal nint Stream
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _onSide ? _side : _stream;
        }
    }

    /// <summary>The main stream (graphs are captured and launched on it).</summary>
    internal nint MainStream
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _stream;
        }
    }

    /// <summary>Whether work is being queued on the side stream (between <see cref="BeginSide"/> and <see cref="EndSide"/>).</summary>
    public bool OnSideStream => _onSide;

    /// <summary>The side stream's priority (the context's greatest; kernels launched there carry it into captured graphs).</summary>
    internal int SidePriority { get; private set; }

    /// <summary>
    /// Queues what follows on the side stream, after everything queued on the main stream so far (<paramref name="fork"/>
    /// is recorded there and waited for). Inside a graph capture the side stream joins the capture.
    /// </summary>
    /// <exception cref="InvalidOperationException">Already on the side stream.</exception>
    public void BeginSide(CudaEvent fork)
    {
        ArgumentNullException.ThrowIfNull(fork);
        if (_onSide)
        {
            throw new InvalidOperationException("BeginSide was called twice without EndSide.");
        }

        MakeCurrent();
        if (_side == 0)
        {
            Check(cuCtxGetStreamPriorityRange(out _, out int greatest));
            Check(cuStreamCreateWithPriority(out _side, CU_STREAM_NON_BLOCKING, greatest));
            SidePriority = greatest;
        }

        Check(cuEventRecord(fork.Handle, _stream));
        Check(cuStreamWaitEvent(_side, fork.Handle, 0));
        _onSide = true;
    }

    /// <summary>Records <paramref name="done"/> after the side work queued since <see cref="BeginSide"/> and returns to the main stream.</summary>
    /// <exception cref="InvalidOperationException">Not on the side stream.</exception>
    public void EndSide(CudaEvent done)
    {
        ArgumentNullException.ThrowIfNull(done);
        if (!_onSide)
        {
            throw new InvalidOperationException("EndSide was called without BeginSide.");
        }

        Check(cuEventRecord(done.Handle, _side));
        _onSide = false;
    }

    /// <summary>Makes the main stream wait for <paramref name="done"/> (side work recorded by <see cref="EndSide"/>).</summary>
    public void WaitFor(CudaEvent done)
    {
        ArgumentNullException.ThrowIfNull(done);
        MakeCurrent();
        Check(cuStreamWaitEvent(_stream, done.Handle, 0));
    }

    /// <summary>Opens device <paramref name="ordinal"/>.</summary>
    /// <exception cref="CudaUnavailableException">No driver library or no GPU.</exception>
    public static CudaDevice Open(int ordinal = 0) => new(ordinal);

    /// <summary>Whether a CUDA GPU can be used here, and if not, why (for tests that skip and for <c>--device</c> defaults).</summary>
    public static bool IsAvailable(out string reason)
    {
        try
        {
            NativeLibraries.Load(NativeLibraries.Driver);
            int r = cuInit(0);
            if (r != 0)
            {
                reason = Error(r, "cuInit(0)").Message;
                return false;
            }

            Check(cuDeviceGetCount(out int count));
            reason = count > 0 ? "" : "the CUDA driver reports no GPU.";
            return count > 0;
        }
        catch (CudaException ex)
        {
            reason = ex.Message;
            return false;
        }
    }

    /// <summary>Makes this device's context current on the calling thread (cheap; every entry point calls it).</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Check(cuCtxSetCurrent(_context));
    }

    /// <summary>Allocates device memory; out of memory becomes a <see cref="CudaException"/> saying what was being allocated.</summary>
    /// <param name="bytes">Size in bytes (≥ 1).</param>
    /// <param name="what">What the memory is for, for the error message.</param>
    public DeviceBuffer Allocate(long bytes, string what)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1);
        MakeCurrent();
        int r = cuMemAlloc(out ulong address, (nuint)bytes);
        if (r != 0)
        {
            var inner = Error(r, $"cuMemAlloc({bytes})");
            (long free, long total) = MemoryInfo();
            throw new CudaException($"{Name}: cannot allocate {Format(bytes)} for {what}: {inner.Message}; {Format(free)} free of {Format(total)}.", inner)
            {
                IsOutOfMemory = inner.IsOutOfMemory,
            };
        }

        return new DeviceBuffer(this, address, bytes);
    }

    /// <summary>Free and total device memory (cuMemGetInfo).</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        Check(cuMemGetInfo(out nuint free, out nuint total));
        return ((long)free, (long)total);
    }

    /// <summary>
    /// Opens a profiler capture range (<c>cuProfilerStart</c>): with <c>ncu --profile-from-start off</c> or
    /// <c>nsys --capture-range=cudaProfilerApi</c>, only the work queued until <see cref="EndProfilerCapture"/> is
    /// profiled. Without a profiler attached it does nothing.
    /// </summary>
    public void BeginProfilerCapture()
    {
        Synchronize();
        Check(cuProfilerStart());
    }

    /// <summary>Waits for the queued work and closes the capture range of <see cref="BeginProfilerCapture"/> (<c>cuProfilerStop</c>).</summary>
    public void EndProfilerCapture()
    {
        Synchronize();
        Check(cuProfilerStop());
    }

    /// <summary>Waits for all queued work, on both streams.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        Check(cuStreamSynchronize(MainStream));
        if (_side != 0)
        {
            Check(cuStreamSynchronize(_side));
        }
    }

    internal static string Format(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB" : $"{bytes / (double)(1L << 20):F1} MiB";

    private int Attribute(int attribute)
    {
        Check(cuDeviceGetAttribute(out int value, attribute, Ordinal));
        return value;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _ = cuCtxSetCurrent(_context);
        _ = cuStreamSynchronize(_stream);
        _ = cuStreamDestroy(_stream);
        _stream = 0;
        if (_side != 0)
        {
            _ = cuStreamSynchronize(_side);
            _ = cuStreamDestroy(_side);
            _side = 0;
        }

        _ = cuDevicePrimaryCtxRelease(Ordinal);
        _disposed = true;
    }
}
