namespace UNComp.Runtime.Profiles;

/// <summary>The <c>model</c> section: architecture, dimensions and fingerprint of the calibrated model.</summary>
public sealed partial record ProfileModel
{
    /// <summary>HF architecture name: LlamaForCausalLM, MistralForCausalLM or Qwen2ForCausalLM.</summary>
    public required string Architecture { get; init; }

    /// <summary>Transformer layers.</summary>
    public required int NumLayers { get; init; }

    /// <summary>Residual width.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Query heads per layer.</summary>
    public required int NumAttentionHeads { get; init; }

    /// <summary>Key/value heads per layer (GQA); divides <see cref="NumAttentionHeads"/>.</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>Head dimension d.</summary>
    public required int HeadDim { get; init; }

    /// <summary>Vocabulary size.</summary>
    public required int VocabSize { get; init; }

    /// <summary>Maximum positions of the model.</summary>
    public required int MaxPositionEmbeddings { get; init; }

    /// <summary><c>sha256:</c> + 64 lowercase hex digits, see <see cref="ModelFingerprint"/>.</summary>
    public required string Fingerprint { get; init; }
}
