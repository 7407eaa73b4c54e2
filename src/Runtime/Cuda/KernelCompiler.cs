using System.Security.Cryptography;
using System.Text;
using UNComp.Runtime.Cuda.Interop;
using static UNComp.Runtime.Cuda.Interop.NvrtcApi;

namespace UNComp.Runtime.Cuda;

/// <summary>
/// Compiles CUDA C sources with NVRTC for the device's architecture into CUBIN, and caches the result on disk keyed
/// by a hash of the source, the options, the architecture, the NVRTC version and the driver version. The cache
/// folder is <c>UNCOMP_KERNEL_CACHE</c>, else <c>$XDG_CACHE_HOME/uncomp/kernels</c>, else
/// <c>~/.cache/uncomp/kernels</c>; a cache that cannot be written is skipped (compilation still works).
/// </summary>
public static unsafe class KernelCompiler
{
    /// <summary>The folder compiled kernels are cached in.</summary>
    public static string CacheDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("UNCOMP_KERNEL_CACHE") is { Length: > 0 } explicitDir)
            {
                return explicitDir;
            }

            string root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "uncomp", "kernels");
        }
    }

    /// <summary>Compiles (or loads from the cache) <paramref name="source"/> for <paramref name="device"/>.</summary>
    /// <param name="device">Target device.</param>
    /// <param name="name">Source name for error messages (e.g. <c>kernels.cu</c>).</param>
    /// <param name="source">CUDA C source (no #include of toolkit headers needed).</param>
    /// <param name="defines">Extra <c>-D</c> definitions (e.g. profile constants).</param>
    /// <param name="fromCache">True when the CUBIN came from the disk cache.</param>
    /// <exception cref="CudaException">Compilation failed; the message holds NVRTC's log.</exception>
    public static byte[] Compile(CudaDevice device, string name, string source, IReadOnlyList<string> defines, out bool fromCache)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(defines);
        Check(nvrtcVersion(out int major, out int minor));
        var options = new List<string> { $"--gpu-architecture={device.CompileArchitecture}", "--std=c++17", "-default-device", "--extra-device-vectorization", "-lineinfo" };
        options.AddRange(defines.Select(d => "-D" + d));
        string key = Hash($"{source}\n{string.Join(' ', options)}\nnvrtc {major}.{minor}\ndriver {device.DriverVersion}");
        string cachePath = Path.Combine(CacheDirectory, $"{Path.GetFileNameWithoutExtension(name)}-{device.CompileArchitecture}-{key}.cubin");
        if (TryRead(cachePath) is { } cached)
        {
            fromCache = true;
            return cached;
        }

        byte[] cubin = CompileNow(name, source, options);
        TryWrite(cachePath, cubin);
        fromCache = false;
        return cubin;
    }

    private static byte[] CompileNow(string name, string source, List<string> options)
    {
        byte[] src = Encoding.UTF8.GetBytes(source + "\0");
        byte[] nm = Encoding.UTF8.GetBytes(name + "\0");
        nint program;
        fixed (byte* s = src, n = nm)
        {
            Check(nvrtcCreateProgram(out program, s, n, 0, null, null));
        }

        try
        {
            var optionBytes = options.Select(o => Encoding.UTF8.GetBytes(o + "\0")).ToArray();
            var handles = optionBytes.Select(b => System.Runtime.InteropServices.GCHandle.Alloc(b, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
            int result;
            try
            {
                byte** opts = stackalloc byte*[optionBytes.Length];
                for (int i = 0; i < optionBytes.Length; i++)
                {
                    opts[i] = (byte*)handles[i].AddrOfPinnedObject();
                }

                result = nvrtcCompileProgram(program, optionBytes.Length, opts);
            }
            finally
            {
                foreach (var h in handles)
                {
                    h.Free();
                }
            }

            if (result != 0)
            {
                string log = Log(program);
                throw new CudaException($"NVRTC could not compile {name} ({string.Join(' ', options)}):\n{log}");
            }

            Check(nvrtcGetCUBINSize(program, out nuint size));
            var cubin = new byte[(int)size];
            fixed (byte* c = cubin)
            {
                Check(nvrtcGetCUBIN(program, c));
            }

            return cubin;
        }
        finally
        {
            _ = nvrtcDestroyProgram(ref program);
        }
    }

    private static string Log(nint program)
    {
        if (nvrtcGetProgramLogSize(program, out nuint size) != 0 || size <= 1)
        {
            return "(no log)";
        }

        var log = new byte[(int)size];
        fixed (byte* l = log)
        {
            _ = nvrtcGetProgramLog(program, l);
        }

        return Encoding.UTF8.GetString(log, 0, log.Length - 1);
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..24];

    private static byte[]? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void TryWrite(string path, byte[] cubin)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string temp = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllBytes(temp, cubin);
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
            // A read-only or full cache only costs a recompilation next time.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
