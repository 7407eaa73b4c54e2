using UNComp.Runtime.Models;

namespace UNComp.Runtime.Profiles;

public static partial class ModelFingerprint
{
    /// <summary>
    /// The fingerprint of a config: from the real safetensors headers when <paramref name="modelDirectory"/> holds
    /// them, otherwise from the standard Hugging Face tensor layout (<see cref="StandardLlamaTensors"/>).
    /// </summary>
    public static string FromConfig(ModelConfig config, string? modelDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var tensors = modelDirectory is not null ? SafetensorsHeader.ReadDirectory(modelDirectory) : [];
        return Compute(config, tensors.Count > 0 ? tensors : StandardLlamaTensors(config));
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
        Compute(config, tensors.Select(t => new TensorDescriptor(t.Name, t.DType, t.Shape)));
}
