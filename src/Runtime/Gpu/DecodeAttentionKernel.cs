namespace UNComp.Runtime.Gpu;

/// <summary>Which split-KV decode-attention kernel a decode step runs (both write the same partials for one combine).</summary>
public enum DecodeAttentionKernel
{
    /// <summary>
    /// <c>decode_attention_partial</c>: CUDA cores, lane groups with an online softmax each; about eight blocks per
    /// multiprocessor, chunks of at most <see cref="DecodeGeometry.MaxChunk"/> tokens.
    /// </summary>
    CudaCores,

    /// <summary>
    /// <c>decode_attention_mma</c>: tensor cores (mma.sync, operands loaded straight into fragment registers); head
    /// dimension 32 or a multiple of 64, at most 8 query heads per unit; two blocks per multiprocessor (232 registers a
    /// thread), one wave of blocks per layer. On an H200 at a 32K context it reads K and V at 3.6 TB/s against the
    /// CUDA-core kernel's 2.4 (tools/gpu/kernel_lab.py, docs/benchmarks/gpu/NOTES.md).
    /// </summary>
    TensorCores,
}
