namespace UNComp.Runtime.Gpu;

/// <summary>Which causal flash-attention kernel a prefill runs (both write the same outputs and log-sum-exps).</summary>
public enum PrefillAttentionKernel
{
    /// <summary>
    /// <c>flash_prefill_d*</c>: mma.sync m16n8k16 (every tensor-core GPU from sm_80), 32 query rows per warp, K and V
    /// tiles of 64 keys double-buffered in shared memory. On an H200, 264 TFLOP/s at a 32K context against torch SDPA's
    /// 621 (tools/gpu/kernel_lab.py --prefill, docs/benchmarks/gpu/NOTES.md).
    /// </summary>
    MmaSync,

    /// <summary>
    /// <c>flash_prefill_wgmma_d128</c>: Hopper's warpgroup MMA (compute capability 9.0, head dim 128; others fall back to
    /// <see cref="MmaSync"/>), Q and K read by the tensor cores from 128-byte-swizzled shared memory, P from registers,
    /// V as Vᵀ (one transpose per layer into a scratch buffer of kv heads × 128 × the padded prompt).
    /// </summary>
    Wgmma,
}
