using System.Diagnostics;
using UNComp.Runtime.Cuda;
using UNComp.Runtime.Gpu;

namespace UNComp.Runtime.GpuTests;

/// <summary>
/// A compiled profile's constants given to NVRTC (<c>KernelDefines</c>) keep only the instantiations the profile uses:
/// measured as a cold compile (a fresh nonce define defeats the disk cache) of the whole module with and without the
/// fixture profile's defines, and the CUBIN sizes.
/// </summary>
public sealed class KernelDefinesTests(ITestOutputHelper output)
{
    [Fact]
    public void ProfileDefines_CompileOnlyTheProfilesKernels_SmallerAndFaster()
    {
        var device = Gpu.Device;
        string nonce = "UNCOMP_NONCE=" + Environment.TickCount64.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var watch = Stopwatch.StartNew();
        byte[] all = KernelCompiler.Compile(device, "defines-test.cu", LlamaKernels.Source, [nonce], out bool cachedAll);
        double allSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        byte[] profile = KernelCompiler.Compile(device, "defines-test.cu", LlamaKernels.Source, [nonce, .. FixtureCompiled.KernelDefines], out bool cachedProfile);
        double profileSeconds = watch.Elapsed.TotalSeconds;
        output.WriteLine($"cold NVRTC compile: every instantiation {allSeconds:F2} s, {all.Length:N0} bytes; fixture profile's defines ({string.Join(' ', FixtureCompiled.KernelDefines)}) {profileSeconds:F2} s, {profile.Length:N0} bytes");
        Assert.False(cachedAll || cachedProfile);
        Assert.True(profile.Length < all.Length, "the specialised module is not smaller");
        using var kernels = new LlamaKernels(device, FixtureCompiled.KernelDefines);
        Assert.Equal(32, kernels.HeadDim);
        Assert.Throws<ArgumentException>(() => kernels.CheckShape(128, 4));
    }
}
