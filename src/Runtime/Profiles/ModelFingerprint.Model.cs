using UNComp.Runtime.Models;

namespace UNComp.Runtime.Profiles;

public static partial class ModelFingerprint
{
    /// <summary>The dimensions a profile records for a loaded model.</summary>
    public static ModelDimensions DimensionsOf(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new(config.Architecture, config.NumLayers, config.HiddenSize, config.NumAttentionHeads, config.NumKeyValueHeads,
            config.HeadDim, config.VocabSize, config.MaxPositionEmbeddings);
    }

    /// <summary>The fingerprint of a loaded model: its config dimensions and its real safetensors index.</summary>
    public static string Compute(LlamaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Compute(model.Config, model.Tensors);
    }

    /// <summary>The fingerprint of a model loaded on a GPU (the same text as for the CPU model of the same files).</summary>
    public static string Compute(Gpu.CudaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Compute(model.Config, model.Tensors);
    }

    private static string Compute(ModelConfig config, IReadOnlyList<TensorInfo> tensors) =>
        Compute(DimensionsOf(config), tensors.Select(t => new TensorDescriptor(t.Name, t.DType, t.Shape)));
}
