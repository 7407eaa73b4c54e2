using UNComp.Runtime.Cuda;

namespace UNComp.Runtime.Gpu;

/// <summary>
/// Kernels and a GEMM handle shared by many <see cref="CudaEngine"/>s on one device (engines made per prompt and
/// layout, as the evaluation harness does, then skip module loading). Dispose after every engine using it.
/// </summary>
internal sealed class CudaEngineShared(CudaDevice device) : IDisposable
{
    /// <summary>The compiled kernels.</summary>
    public LlamaKernels Kernels { get; } = new(device);

    /// <summary>The cuBLASLt handle.</summary>
    public CublasLtGemm Gemm { get; } = new(device);

    /// <inheritdoc />
    public void Dispose()
    {
        Gemm.Dispose();
        Kernels.Dispose();
    }
}
