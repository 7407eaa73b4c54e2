using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using UNComp.Runtime.Cuda.Interop;

namespace UNComp.Runtime.Tests.Gpu;

/// <summary>The cuLaunchKernelEx structs match cuda.h's layout on 64-bit hosts (no GPU needed).</summary>
public class LaunchConfigLayoutTests
{
    [Fact]
    public void LaunchAttribute_IsCudaHs72Bytes_WithTheValueAfterFourBytesOfPadding()
    {
        Assert.Equal(72, Unsafe.SizeOf<LaunchAttribute>());
        Assert.Equal(0, (int)Marshal.OffsetOf<LaunchAttribute>(nameof(LaunchAttribute.Id)));
        Assert.Equal(8, (int)Marshal.OffsetOf<LaunchAttribute>(nameof(LaunchAttribute.Value)));
    }

    [Fact]
    public void LaunchConfig_PutsTheStreamAndAttributesOnPointerBoundaries()
    {
        Assert.Equal(56, Unsafe.SizeOf<LaunchConfig>());
        Assert.Equal(24, (int)Marshal.OffsetOf<LaunchConfig>(nameof(LaunchConfig.SharedBytes)));
        Assert.Equal(32, (int)Marshal.OffsetOf<LaunchConfig>(nameof(LaunchConfig.Stream)));
        Assert.Equal(40, (int)Marshal.OffsetOf<LaunchConfig>(nameof(LaunchConfig.Attributes)));
        Assert.Equal(48, (int)Marshal.OffsetOf<LaunchConfig>(nameof(LaunchConfig.AttributeCount)));
    }
}
