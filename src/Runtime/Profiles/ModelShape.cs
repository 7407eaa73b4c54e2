using UNComp.Runtime.Models;

namespace UNComp.Runtime.Profiles;

/// <summary>
/// A model's shape as far as profiles need it: dimensions, MLP width, weight dtype and tied embeddings. Read from
/// a Hugging Face config.json or taken from a named preset.
/// </summary>
/// <param name="Dimensions">Dimensions recorded in profiles.</param>
/// <param name="IntermediateSize">MLP width.</param>
/// <param name="DType">safetensors dtype string of the weights (F32, F16, BF16).</param>
/// <param name="TiedEmbeddings">Whether lm_head shares the embedding matrix.</param>
public sealed record ModelShape(ModelDimensions Dimensions, int IntermediateSize, string DType, bool TiedEmbeddings)
{
    /// <summary>Llama-2-7B(-chat): 32 layers, 32 heads, d 128, fp16 weights.</summary>
    public static ModelShape Llama2Chat7B { get; } = new(new("LlamaForCausalLM", 32, 4096, 32, 32, 128, 32000, 4096), 11008, "F16", false);

    /// <summary>Llama-3-8B(-Instruct): 32 layers, 32 query heads, 8 KV heads, d 128, bf16 weights.</summary>
    public static ModelShape Llama3Instruct8B { get; } = new(new("LlamaForCausalLM", 32, 4096, 32, 8, 128, 128256, 8192), 14336, "BF16", false);

    /// <summary>Names accepted by <see cref="Resolve"/> besides a config.json path.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["llama-2-7b", "llama-3-8b"];

    /// <summary>A preset by name (<c>llama-2-7b</c>, <c>llama-3-8b</c>) or the config.json at a path.</summary>
    /// <exception cref="ArgumentException">Unknown name and no such file.</exception>
    public static ModelShape Resolve(string nameOrConfigPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrConfigPath);
        switch (nameOrConfigPath.ToLowerInvariant())
        {
            case "llama-2-7b":
                return Llama2Chat7B;
            case "llama-3-8b":
                return Llama3Instruct8B;
        }

        string path = Directory.Exists(nameOrConfigPath) ? Path.Combine(nameOrConfigPath, "config.json") : nameOrConfigPath;
        if (!File.Exists(path))
        {
            throw new ArgumentException($"\"{nameOrConfigPath}\" is neither a preset ({string.Join(", ", PresetNames)}) nor an existing config.json or model folder.", nameof(nameOrConfigPath));
        }

        return FromConfigJson(path);
    }

    /// <summary>Reads a Hugging Face config.json (Llama, Mistral, Qwen2) through <see cref="ModelConfig.Load"/>, the runtime's one config reader.</summary>
    /// <exception cref="ModelFormatException">The file is missing, malformed or unsupported; the message names file and key.</exception>
    public static ModelShape FromConfigJson(string path) => FromConfig(ModelConfig.Load(path));

    /// <summary>The shape of a loaded config (weights dtype F32 when the config names none).</summary>
    public static ModelShape FromConfig(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new ModelShape(ModelFingerprint.DimensionsOf(config), config.IntermediateSize, config.WeightDType ?? "F32", config.TieWordEmbeddings);
    }

    /// <summary>
    /// The fingerprint of this shape: from the real safetensors headers when <paramref name="modelDirectory"/>
    /// holds them, otherwise from the standard Hugging Face tensor layout (<see cref="ModelFingerprint.StandardLlamaTensors"/>).
    /// </summary>
    public string Fingerprint(string? modelDirectory = null)
    {
        var tensors = modelDirectory is not null ? SafetensorsHeader.ReadDirectory(modelDirectory) : [];
        if (tensors.Count == 0)
        {
            tensors = ModelFingerprint.StandardLlamaTensors(Dimensions, IntermediateSize, DType, TiedEmbeddings);
        }

        return ModelFingerprint.Compute(Dimensions, tensors);
    }
}
