using UNComp.Runtime.Cuda;

namespace UNComp.Runtime.Gpu;

/// <summary>
/// One decoder layer's weights on the device. Projections stay bf16 in Hugging Face layout [out, in]; q|k|v and
/// gate|up are stored fused (rows concatenated) so each becomes one matrix product. Norms and biases are fp32.
/// </summary>
public sealed record CudaLayerWeights
{
    /// <summary><c>input_layernorm.weight</c>, fp32 [1, hidden].</summary>
    public required DeviceTensor AttentionNorm { get; init; }

    /// <summary>q_proj | k_proj | v_proj, bf16 [heads·d + 2·kvHeads·d, hidden].</summary>
    public required DeviceTensor Wqkv { get; init; }

    /// <summary>q | k | v biases (Qwen2), fp32 [1, heads·d + 2·kvHeads·d], or null.</summary>
    public DeviceTensor? Bqkv { get; init; }

    /// <summary>o_proj, bf16 [hidden, heads·d].</summary>
    public required DeviceTensor Wo { get; init; }

    /// <summary>o_proj bias, fp32 [1, hidden], or null.</summary>
    public DeviceTensor? Bo { get; init; }

    /// <summary><c>post_attention_layernorm.weight</c>, fp32 [1, hidden].</summary>
    public required DeviceTensor MlpNorm { get; init; }

    /// <summary>gate_proj | up_proj, bf16 [2·intermediate, hidden].</summary>
    public required DeviceTensor WGateUp { get; init; }

    /// <summary>down_proj, bf16 [hidden, intermediate].</summary>
    public required DeviceTensor WDown { get; init; }
}
