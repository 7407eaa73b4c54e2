using System.Text;
using UNComp.Runtime.Cuda.Interop;
using static UNComp.Runtime.Cuda.Interop.CudaDriverApi;

namespace UNComp.Runtime.Cuda;

/// <summary>A loaded CUBIN: looks kernels up by name and launches them on the device's stream.</summary>
public sealed unsafe class CudaModule : IDisposable
{
    private readonly CudaDevice _device;
    private readonly Dictionary<string, nint> _functions = [];
    private nint _module;
    private bool _programmatic;

    /// <summary>Loads a CUBIN image.</summary>
    public CudaModule(CudaDevice device, byte[] cubin)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(cubin);
        _device = device;
        device.MakeCurrent();
        fixed (byte* image = cubin)
        {
            Check(cuModuleLoadData(out _module, image));
        }
    }

    /// <summary>Compiles <paramref name="source"/> (through the disk cache) and loads it.</summary>
    public static CudaModule Compile(CudaDevice device, string name, string source, IReadOnlyList<string>? defines = null) =>
        new(device, KernelCompiler.Compile(device, name, source, defines ?? [], out _));

    /// <summary>
    /// Launch every kernel with programmatic dependent launch (Hopper, compute capability 9.0 and later): a kernel may be
    /// scheduled while its predecessor in the stream finishes, and waits for the predecessor's results in its first
    /// instruction (<c>pdl_prologue</c>, which every kernel of the project's sources calls). Off by default; setting it
    /// on a device before 9.0 leaves it off.
    /// </summary>
    public bool ProgrammaticLaunch
    {
        get => _programmatic;
        set => _programmatic = value && _device.ComputeMajor >= 9;
    }

    /// <summary>The kernel <paramref name="name"/> (an <c>extern "C"</c> function).</summary>
    public nint Function(string name)
    {
        ObjectDisposedException.ThrowIf(_module == 0, this);
        if (_functions.TryGetValue(name, out nint f))
        {
            return f;
        }

        byte[] bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* n = bytes)
        {
            int r = cuModuleGetFunction(out f, _module, n);
            if (r != 0)
            {
                throw Error(r, $"cuModuleGetFunction(\"{name}\")");
            }
        }

        _functions[name] = f;
        return f;
    }

    /// <summary>
    /// Lets <paramref name="function"/> use up to <paramref name="bytes"/> of dynamic shared memory, capped so that
    /// with its static shared memory it stays within the device's per-block limit; returns the dynamic limit set.
    /// </summary>
    public int SetMaxDynamicSharedMemory(string function, int bytes)
    {
        nint f = Function(function);
        Check(cuFuncGetAttribute(out int staticBytes, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f));
        int limit = Math.Min(bytes, _device.MaxSharedMemoryPerBlock - staticBytes);
        Check(cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, limit));
        return limit;
    }

    /// <summary>Queues kernel <paramref name="name"/> on the device's stream.</summary>
    public void Launch(string name, (int X, int Y, int Z) grid, int block, int sharedBytes, params ReadOnlySpan<KernelArg> args)
    {
        if (grid.X <= 0 || grid.Y <= 0 || grid.Z <= 0)
        {
            return; // nothing to do (empty batch or sequence)
        }

        nint f = Function(name);
        void** p = stackalloc void*[Math.Max(1, args.Length)];
        fixed (KernelArg* a = args)
        {
            for (int i = 0; i < args.Length; i++)
            {
                p[i] = &a[i];
            }

            int r;
            bool side = _device.OnSideStream;
            if (_programmatic || side)
            {
                // The side stream's kernels carry its priority into captured graphs and never overlap their predecessor.
                var attribute = side
                    ? new LaunchAttribute { Id = LaunchAttribute.Priority, Value = _device.SidePriority }
                    : new LaunchAttribute { Id = LaunchAttribute.ProgrammaticStreamSerialization, Value = 1 };
                var config = new LaunchConfig
                {
                    GridX = (uint)grid.X, GridY = (uint)grid.Y, GridZ = (uint)grid.Z, BlockX = (uint)block, BlockY = 1, BlockZ = 1,
                    SharedBytes = (uint)sharedBytes, Stream = _device.Stream, Attributes = &attribute, AttributeCount = 1,
                };
                r = cuLaunchKernelEx(&config, f, p, null);
            }
            else
            {
                r = cuLaunchKernel(f, (uint)grid.X, (uint)grid.Y, (uint)grid.Z, (uint)block, 1, 1, (uint)sharedBytes, _device.Stream, p, null);
            }

            if (r != 0)
            {
                throw Error(r, $"{(_programmatic || side ? "cuLaunchKernelEx" : "cuLaunchKernel")}({name}, grid {grid}, block {block}, shared {sharedBytes})");
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_module != 0)
        {
            _device.MakeCurrent();
            _ = cuModuleUnload(_module);
            _module = 0;
        }
    }
}
