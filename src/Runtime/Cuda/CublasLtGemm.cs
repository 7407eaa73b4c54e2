using UNComp.Runtime.Cuda.Interop;
using static UNComp.Runtime.Cuda.Interop.CublasLtApi;

namespace UNComp.Runtime.Cuda;

/// <summary>
/// Linear layers through cuBLASLt: <c>Y[rows, out] = X[rows, in] · W[out, in]ᵀ</c> (+ Y when accumulating), bf16
/// operands, fp32 accumulation, fp32 or bf16 output. The algorithm for each shape is chosen once by cuBLASLt's
/// heuristic and cached; the workspace is allocated once, so calls can be captured in a <see cref="CudaGraph"/>.
/// </summary>
public sealed unsafe class CublasLtGemm : IDisposable
{
    private const long WorkspaceBytes = 32L << 20;
    private const int MaxPlans = 512;

    private readonly CudaDevice _device;
    private readonly DeviceBuffer _workspace;
    private readonly Dictionary<(int M, int N, int K, DType Out, bool Accumulate), Plan> _plans = [];
    private nint _handle;

    /// <summary>Creates the cuBLASLt handle and workspace.</summary>
    public CublasLtGemm(CudaDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        device.MakeCurrent();
        Check(cublasLtCreate(out _handle));
        _workspace = device.Allocate(WorkspaceBytes, "the cuBLASLt workspace");
    }

    /// <summary>cuBLASLt's version number (e.g. 130000).</summary>
    public static long Version => (long)cublasLtGetVersion();

    /// <summary>
    /// Queues <paramref name="y"/> = <paramref name="x"/> · <paramref name="w"/>ᵀ (+ <paramref name="y"/> when
    /// <paramref name="accumulate"/>): a residual add fused into the product.
    /// </summary>
    /// <param name="x">bf16 [rows, in].</param>
    /// <param name="w">bf16 [out, in] (Hugging Face weight layout).</param>
    /// <param name="y">fp32 or bf16 [rows, out].</param>
    /// <param name="accumulate">Add to <paramref name="y"/> instead of overwriting it.</param>
    public void Linear(DeviceTensor x, DeviceTensor w, DeviceTensor y, bool accumulate = false)
    {
        if (x.Type != DType.BF16 || w.Type != DType.BF16 || y.Type == DType.I32)
        {
            throw new ArgumentException($"Linear takes bf16 x and w and an fp32 or bf16 y; got {x.Type}, {w.Type}, {y.Type}.");
        }

        if (x.Cols != w.Cols || y.Rows != x.Rows || y.Cols != w.Rows)
        {
            throw new ArgumentException($"Linear shapes disagree: x [{x.Rows}, {x.Cols}], w [{w.Rows}, {w.Cols}], y [{y.Rows}, {y.Cols}].");
        }

        if (x.Rows == 0)
        {
            return;
        }

        _device.MakeCurrent();
        var plan = GetPlan(w.Rows, x.Rows, x.Cols, y.Type, accumulate);
        float alpha = 1f, beta = accumulate ? 1f : 0f;
        fixed (CublasLtApi.AlgoBytes* algo = &plan.Algo)
        {
            Check(cublasLtMatmul(_handle, plan.Desc, &alpha, w.Address, plan.A, x.Address, plan.B, &beta, y.Address, plan.C, y.Address, plan.C,
                algo, _workspace.Address, (nuint)WorkspaceBytes, _device.Stream));
        }
    }

    private Plan GetPlan(int m, int n, int k, DType outType, bool accumulate)
    {
        var key = (m, n, k, outType, accumulate);
        if (_plans.TryGetValue(key, out var plan))
        {
            return plan;
        }

        if (_plans.Count >= MaxPlans)
        {
            foreach (var p in _plans.Values)
            {
                p.Dispose();
            }

            _plans.Clear();
        }

        plan = new Plan();
        int transA = CUBLAS_OP_T, transB = CUBLAS_OP_N;
        Check(cublasLtMatmulDescCreate(out plan.Desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
        Check(cublasLtMatmulDescSetAttribute(plan.Desc, CUBLASLT_MATMUL_DESC_TRANSA, &transA, sizeof(int)));
        Check(cublasLtMatmulDescSetAttribute(plan.Desc, CUBLASLT_MATMUL_DESC_TRANSB, &transB, sizeof(int)));
        Check(cublasLtMatrixLayoutCreate(out plan.A, CUDA_R_16BF, (ulong)k, (ulong)m, k));
        Check(cublasLtMatrixLayoutCreate(out plan.B, CUDA_R_16BF, (ulong)k, (ulong)n, k));
        Check(cublasLtMatrixLayoutCreate(out plan.C, outType == DType.F32 ? CUDA_R_32F : CUDA_R_16BF, (ulong)m, (ulong)n, m));
        Check(cublasLtMatmulPreferenceCreate(out nint preference));
        try
        {
            ulong ws = WorkspaceBytes;
            Check(cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ulong)));
            HeuristicResult result;
            Check(cublasLtMatmulAlgoGetHeuristic(_handle, plan.Desc, plan.A, plan.B, plan.C, plan.C, preference, 1, &result, out int returned));
            if (returned < 1)
            {
                throw new CudaException($"cuBLASLt has no algorithm for a bf16 product of [{n} × {k}] by [{m} × {k}]ᵀ with {outType} output.");
            }

            plan.Algo = result.Algo;
        }
        finally
        {
            _ = cublasLtMatmulPreferenceDestroy(preference);
        }

        _plans[key] = plan;
        return plan;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_handle == 0)
        {
            return;
        }

        _device.MakeCurrent();
        foreach (var p in _plans.Values)
        {
            p.Dispose();
        }

        _plans.Clear();
        _ = cublasLtDestroy(_handle);
        _handle = 0;
        _workspace.Dispose();
    }

    private sealed class Plan : IDisposable
    {
        public nint Desc;
        public nint A;
        public nint B;
        public nint C;
        public CublasLtApi.AlgoBytes Algo;

        public void Dispose()
        {
            _ = cublasLtMatrixLayoutDestroy(A);
            _ = cublasLtMatrixLayoutDestroy(B);
            _ = cublasLtMatrixLayoutDestroy(C);
            _ = cublasLtMatmulDescDestroy(Desc);
        }
    }
}
