namespace UNComp.Runtime.Models;

/// <summary>
/// The fp32 weights of one decoder layer, row-major as stored by Hugging Face (<c>[out, in]</c> for projections).
/// Bias arrays are null when the architecture has none.
/// </summary>
public sealed class LlamaLayerWeights
{
    /// <summary><c>input_layernorm.weight</c> [hidden].</summary>
    public required float[] AttentionNorm { get; init; }

    /// <summary><c>self_attn.q_proj.weight</c> [heads·headDim, hidden].</summary>
    public required float[] Wq { get; init; }

    /// <summary><c>self_attn.k_proj.weight</c> [kvHeads·headDim, hidden].</summary>
    public required float[] Wk { get; init; }

    /// <summary><c>self_attn.v_proj.weight</c> [kvHeads·headDim, hidden].</summary>
    public required float[] Wv { get; init; }

    /// <summary><c>self_attn.o_proj.weight</c> [hidden, heads·headDim].</summary>
    public required float[] Wo { get; init; }

    /// <summary><c>self_attn.q_proj.bias</c> or null.</summary>
    public float[]? Bq { get; init; }

    /// <summary><c>self_attn.k_proj.bias</c> or null.</summary>
    public float[]? Bk { get; init; }

    /// <summary><c>self_attn.v_proj.bias</c> or null.</summary>
    public float[]? Bv { get; init; }

    /// <summary><c>self_attn.o_proj.bias</c> or null.</summary>
    public float[]? Bo { get; init; }

    /// <summary><c>post_attention_layernorm.weight</c> [hidden].</summary>
    public required float[] MlpNorm { get; init; }

    /// <summary><c>mlp.gate_proj.weight</c> [intermediate, hidden].</summary>
    public required float[] WGate { get; init; }

    /// <summary><c>mlp.up_proj.weight</c> [intermediate, hidden].</summary>
    public required float[] WUp { get; init; }

    /// <summary><c>mlp.down_proj.weight</c> [hidden, intermediate].</summary>
    public required float[] WDown { get; init; }
}
