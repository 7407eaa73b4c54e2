using System.Reflection;
using System.Runtime.InteropServices;

namespace UNComp.Runtime.Cuda.Interop;

/// <summary>
/// Finds the CUDA driver (libcuda), NVRTC and cuBLASLt at first use: each logical library name tried in the usual
/// places (the loader's search path, <c>CUDA_HOME</c>/<c>CUDA_PATH</c>, <c>/usr/local/cuda</c>, the driver's
/// folders), newest major version first. When one cannot be found the error lists every path tried.
/// </summary>
internal static class NativeLibraries
{
    internal const string Driver = "uncomp-cuda";
    internal const string Nvrtc = "uncomp-nvrtc";
    internal const string CublasLt = "uncomp-cublaslt";

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, nint> Loaded = [];
    private static bool _resolverSet;

    /// <summary>Installs the resolver for this assembly's imports (idempotent).</summary>
    internal static void EnsureResolver()
    {
        lock (Gate)
        {
            if (_resolverSet)
            {
                return;
            }

            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
            _resolverSet = true;
        }
    }

    /// <summary>Loads a library by logical name or throws <see cref="CudaUnavailableException"/> listing what was tried.</summary>
    internal static nint Load(string logicalName)
    {
        EnsureResolver();
        lock (Gate)
        {
            if (Loaded.TryGetValue(logicalName, out nint handle))
            {
                return handle;
            }

            var tried = new List<string>();
            foreach (string candidate in Candidates(logicalName))
            {
                tried.Add(candidate);
                if (NativeLibrary.TryLoad(candidate, out handle))
                {
                    Loaded[logicalName] = handle;
                    return handle;
                }
            }

            throw new CudaUnavailableException(
                $"could not load {Describe(logicalName)}; tried: {string.Join(", ", tried)}. Install the NVIDIA driver and the CUDA 12 or 13 toolkit libraries, or set CUDA_HOME to the toolkit folder.");
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName is Driver or Nvrtc or CublasLt ? Load(libraryName) : 0;

    private static string Describe(string logicalName) => logicalName switch
    {
        Driver => "the CUDA driver (libcuda)",
        Nvrtc => "NVRTC (libnvrtc)",
        _ => "cuBLASLt (libcublasLt)",
    };

    private static IEnumerable<string> Candidates(string logicalName)
    {
        string[] names = (logicalName, OperatingSystem.IsWindows()) switch
        {
            (Driver, true) => ["nvcuda.dll"],
            (Driver, false) => ["libcuda.so.1", "libcuda.so"],
            (Nvrtc, true) => ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll"],
            (Nvrtc, false) => ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"],
            (_, true) => ["cublasLt64_13.dll", "cublasLt64_12.dll"],
            _ => ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"],
        };

        var folders = new List<string>();
        foreach (string variable in (string[])["CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"])
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } root)
            {
                folders.Add(Path.Combine(root, OperatingSystem.IsWindows() ? "bin" : "lib64"));
                folders.Add(Path.Combine(root, "lib"));
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            folders.AddRange(["/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/nvidia/lib64", "/usr/lib/wsl/lib"]);
        }

        foreach (string name in names)
        {
            yield return name; // the loader's own search path first
            foreach (string folder in folders)
            {
                yield return Path.Combine(folder, name);
            }
        }
    }
}
