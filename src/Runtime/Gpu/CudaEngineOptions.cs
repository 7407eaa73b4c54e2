using UNComp.Runtime.Compression.Methods;

namespace UNComp.Runtime.Gpu;

/// <summary>Sizes and switches of a <see cref="CudaEngine"/>, fixed at construction (every buffer is allocated once).</summary>
public sealed record CudaEngineOptions
{
    /// <summary>Sequence slots decoded together (the KV arena holds this many caches).</summary>
    public int MaxBatch { get; init; } = 1;

    /// <summary>Longest prompt one prefill takes; default: the layout's largest unit capacity.</summary>
    public int? MaxPrefillTokens { get; init; }

    /// <summary>Prompt tokens per MLP chunk in prefill (bounds the intermediate activations).</summary>
    public int MlpChunkTokens { get; init; } = 4096;

    /// <summary>Replay each decode step as one CUDA graph (captured per batch size after its first eager step).</summary>
    public bool UseCudaGraphs { get; init; } = true;

    /// <summary>
    /// Batch-1 decode uses the GEMV kernel instead of cuBLASLt for products with k ≤ <see cref="GemvMaxK"/>. Measured on
    /// an H200 with Llama-3-8B shapes (docs/benchmarks/gpu/run3-ours-h200.log): GEMV 0.57 / 0.50 / 1.89 / 0.24 ms vs
    /// cuBLASLt 0.68 / 0.54 / 1.97 / 0.25 ms per step for q|k|v, o, gate|up and lm_head. Since the GEMV's blocks became
    /// 8 warps of 2 rows (2026-11-28) it is also the faster path for down (k = 14336) inside the step: UNComp 4.74 % at
    /// 32K, 225.1 tok/s vs 224.7 with cuBLASLt for down (docs/benchmarks/gpu/decode-80/run4).
    /// </summary>
    public bool UseGemv { get; init; } = true;

    /// <summary>
    /// The split-KV decode-attention kernel (<see cref="DecodeAttentionKernel.TensorCores"/> unless set): the tensor-core
    /// kernel read K and V at 3.6 TB/s on an H200 at a 32K context, the CUDA-core kernel at 2.4 TB/s.
    /// </summary>
    public DecodeAttentionKernel DecodeKernel { get; init; } = DecodeAttentionKernel.TensorCores;

    /// <summary>
    /// The prefill's causal attention kernel (<see cref="PrefillAttentionKernel.Wgmma"/> unless set; devices other than
    /// compute capability 9.0 and head dims other than 128 run <see cref="PrefillAttentionKernel.MmaSync"/> either way).
    /// </summary>
    public PrefillAttentionKernel PrefillKernel { get; init; } = PrefillAttentionKernel.Wgmma;

    /// <summary>
    /// Launch the kernels with programmatic dependent launch on compute capability 9.0 and later (each kernel may be
    /// scheduled while its predecessor finishes, hiding part of the ~380 launch gaps of an 8B decode step); starts on.
    /// </summary>
    public bool ProgrammaticLaunch { get; init; } = true;

    /// <summary>
    /// The batch-1 GEMV issues each lane's first weight loads before it waits for the previous kernel and before it
    /// stages its input (the weights depend on no earlier kernel), so a product's first loads overlap the previous
    /// kernel's tail under <see cref="ProgrammaticLaunch"/>. The same arithmetic either way: the same logits. Starts
    /// on; its gain is within the run-to-run spread (H200, Llama-3-8B shapes, 32K, docs/benchmarks/gpu/gpu-next2: 179.3
    /// tok/s on vs 176.9 off in one run, 175.1 on vs 175.9 off in another); <c>uncomp bench --device cuda</c> times it off.
    /// </summary>
    public bool GemvPrefetch { get; init; } = true;

    /// <summary>
    /// With a selection, each decode layer's selection work (the recent-query ring, re-scoring, eviction and the KV
    /// append) runs on the device's high-priority side stream, beside the rest of the step: the step's attention reads
    /// the cache plus the new token before the eviction, so only the next step's attention of the same layer needs
    /// it. Each layer then keeps its own q, k and v rows for the step (layers × batch rows of scratch). The same
    /// arithmetic either way: the same logits and kept positions. Starts on; eager profiles keep one stream.
    /// </summary>
    public bool OverlapSelection { get; init; } = true;

    /// <summary>
    /// The tensor-core decode-attention kernel applies RoPE to q and the new key itself (no <c>qkv_rope</c> launch in
    /// decode; the same arithmetic, the same logits). Starts on. See <see cref="CudaEngine.FuseRopeAttention"/>.
    /// </summary>
    public bool FuseRopeAttention { get; init; } = true;

    /// <summary>
    /// Largest inner dimension the batch-1 GEMV path takes (larger ones go to cuBLASLt); unlimited unless set, within the
    /// kernel's own limit (x is staged in shared memory: <see cref="LlamaKernels.GemvMaxK"/>).
    /// </summary>
    public int GemvMaxK { get; init; } = int.MaxValue;

    /// <summary>The engine disposes its <see cref="CudaModel"/> when it is disposed (for engines that loaded it themselves).</summary>
    public bool OwnsModel { get; init; }

    /// <summary>Extra NVRTC definitions for the kernels (a compiled profile's constants).</summary>
    public IReadOnlyList<string> KernelDefines { get; init; } = [];

    /// <summary>
    /// What the KV arena keeps when a unit's tokens exceed its capacity (a method's <see cref="SelectionSpec"/>, run on
    /// the device: window scores, pooling, top-k, gather, decode re-scoring and eviction). Null: units keep the most
    /// recent tokens (recency by position, no sinks).
    /// </summary>
    public SelectionSpec? Selection { get; init; }

    /// <summary>Decode headroom per unit included in the layout's capacities (<see cref="DecodeMode.Grow"/>); prefill keeps capacity − headroom.</summary>
    public int GrowTokens { get; init; }

    /// <summary>UNComp's hidden-state stages applied by every prefill unless the call gives its own (needs <see cref="Selection"/>).</summary>
    public HiddenStateSpec? HiddenStates { get; init; }

    /// <summary>The options that run <paramref name="plan"/> (its selection, headroom and hidden-state stages) on top of these.</summary>
    public CudaEngineOptions With(CompressionMethodPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return this with { Selection = plan.Selection, GrowTokens = plan.GrowTokens, HiddenStates = plan.HiddenStates };
    }
}
