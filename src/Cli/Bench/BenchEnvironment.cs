using System.Reflection;
using System.Runtime.InteropServices;
using UNComp.Runtime.Compute;
using UNComp.Runtime.Models;

namespace UNComp.Cli.Bench;

/// <summary>What the report says about the machine and the software.</summary>
internal static class BenchEnvironment
{
    public static BenchMachine Machine() => new()
    {
        Os = RuntimeInformation.OSDescription,
        Cpu = CpuModel(),
        LogicalCores = Environment.ProcessorCount,
        MemoryBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        CpuKernelIsa = CpuBackend.KernelIsa,
    };

    public static BenchVersions Versions() => new()
    {
        Uncomp = typeof(LlamaModel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(LlamaModel).Assembly.GetName().Version?.ToString() ?? "unknown",
        Dotnet = RuntimeInformation.FrameworkDescription,
        RuntimeIdentifier = RuntimeInformation.RuntimeIdentifier,
        Deployment = Deployment(),
    };

    private static string Deployment()
    {
        if (!System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)
        {
            return "nativeaot";
        }

        string runtime = Path.GetFullPath(RuntimeEnvironment.GetRuntimeDirectory());
        return runtime.StartsWith(Path.GetFullPath(AppContext.BaseDirectory), StringComparison.Ordinal)
            ? "self-contained"
            : "framework-dependent (runtime in " + runtime + ")";
    }

    /// <summary>The CPU model name (Linux: /proc/cpuinfo), else the architecture.</summary>
    public static string CpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (string line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is int colon and > 0)
                    {
                        return line[(colon + 1)..].Trim();
                    }
                }
            }
        }
        catch (IOException)
        {
            // Fall through to the architecture.
        }
        catch (UnauthorizedAccessException)
        {
            // Fall through to the architecture.
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
