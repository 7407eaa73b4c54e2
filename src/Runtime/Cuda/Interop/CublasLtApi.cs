using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace UNComp.Runtime.Cuda.Interop;

/// <summary>cuBLASLt: the matrix products (bf16 operands, fp32 accumulation).</summary>
internal static unsafe partial class CublasLtApi
{
    internal const int CUDA_R_32F = 0;
    internal const int CUDA_R_16BF = 14;
    internal const int CUBLAS_COMPUTE_32F = 68;
    internal const int CUBLAS_OP_N = 0;
    internal const int CUBLAS_OP_T = 1;
    internal const int CUBLASLT_MATMUL_DESC_TRANSA = 3;
    internal const int CUBLASLT_MATMUL_DESC_TRANSB = 4;
    internal const int CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1;
    internal const int CUBLAS_STATUS_ALLOC_FAILED = 3;

    static CublasLtApi() => NativeLibraries.EnsureResolver();

    [LibraryImport(NativeLibraries.CublasLt)] internal static partial int cublasLtCreate(out nint handle);
    [LibraryImport(NativeLibraries.CublasLt)] internal static partial int cublasLtDestroy(nint handle);
    [LibraryImport(NativeLibraries.CublasLt)] internal static partial nuint cublasLtGetVersion();
    [LibraryImport(NativeLibraries.CublasLt)] internal static partial int cublasLtMatmulDescCreate(out nint desc, int computeType, int scaleType);
    [LibraryImport(NativeLibraries.CublasLt)] internal static partial int cublasLtMatmulDescDestroy(nint desc);
    [LibraryImport(NativeLibraries.CublasLt)] internal static partial int cublasLtMatmulDescSetAttribute(nint desc, int attribute, void* value, nuint size);
    [LibraryImport(NativeLibraries.CublasLt)] internal static partial int cublasLtMatrixLayoutCreate(out nint layout, int type, ulong rows, ulong cols, long ld);
    [LibraryImport(NativeLibraries.CublasLt)] internal static partial int cublasLtMatrixLayoutDestroy(nint layout);
    [LibraryImport(NativeLibraries.CublasLt)] internal static partial int cublasLtMatmulPreferenceCreate(out nint preference);
    [LibraryImport(NativeLibraries.CublasLt)] internal static partial int cublasLtMatmulPreferenceDestroy(nint preference);
    [LibraryImport(NativeLibraries.CublasLt)] internal static partial int cublasLtMatmulPreferenceSetAttribute(nint preference, int attribute, void* value, nuint size);
    [LibraryImport(NativeLibraries.CublasLt)]
    internal static partial int cublasLtMatmulAlgoGetHeuristic(nint handle, nint desc, nint a, nint b, nint c, nint d, nint preference,
        int requested, HeuristicResult* results, out int returned);
    [LibraryImport(NativeLibraries.CublasLt)]
    internal static partial int cublasLtMatmul(nint handle, nint desc, void* alpha, ulong a, nint aDesc, ulong b, nint bDesc, void* beta,
        ulong c, nint cDesc, ulong d, nint dDesc, void* algo, ulong workspace, nuint workspaceBytes, nint stream);
    [LibraryImport(NativeLibraries.CublasLt)] internal static partial nint cublasLtGetStatusString(int status);

    /// <summary>cublasLtMatmulHeuristicResult_t: a 64-byte algorithm, its workspace, state and waves.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct HeuristicResult
    {
        internal AlgoBytes Algo;
        internal nuint WorkspaceSize;
        internal int State;
        internal float WavesCount;
        internal Reserved4 Reserved;
    }

    /// <summary>cublasLtMatmulAlgo_t: 8 × uint64.</summary>
    [InlineArray(8)]
    internal struct AlgoBytes
    {
        private ulong _element;
    }

    /// <summary>int reserved[4].</summary>
    [InlineArray(4)]
    internal struct Reserved4
    {
        private int _element;
    }

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="status"/> is CUBLAS_STATUS_SUCCESS.</summary>
    internal static void Check(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0)
        {
            string text = Marshal.PtrToStringUTF8(cublasLtGetStatusString(status)) ?? "cuBLAS error";
            throw new CudaException(call, status, text) { IsOutOfMemory = status == CUBLAS_STATUS_ALLOC_FAILED };
        }
    }
}
