using UNComp.Runtime.Models;

namespace UNComp.Runtime.Profiles;

/// <summary>
/// Configs of published models by name, for work that needs a model's shape but not its weights (importing the
/// authors' calibration labels); anything else is read from a config.json through <see cref="ModelConfig.Load"/>.
/// </summary>
public static class ModelPresets
{
    /// <summary>Llama-2-7B(-chat): 32 layers, 32 heads, d 128, fp16 weights.</summary>
    public static ModelConfig Llama2Chat7B { get; } = new()
    {
        Architecture = "LlamaForCausalLM", NumLayers = 32, HiddenSize = 4096, NumAttentionHeads = 32, NumKeyValueHeads = 32,
        HeadDim = 128, IntermediateSize = 11008, VocabSize = 32000, MaxPositionEmbeddings = 4096, RmsNormEps = 1e-5,
        WeightDType = "F16",
    };

    /// <summary>Llama-3-8B(-Instruct): 32 layers, 32 query heads, 8 KV heads, d 128, bf16 weights.</summary>
    public static ModelConfig Llama3Instruct8B { get; } = new()
    {
        Architecture = "LlamaForCausalLM", NumLayers = 32, HiddenSize = 4096, NumAttentionHeads = 32, NumKeyValueHeads = 8,
        HeadDim = 128, IntermediateSize = 14336, VocabSize = 128256, MaxPositionEmbeddings = 8192, RmsNormEps = 1e-5,
        RopeTheta = 500000, WeightDType = "BF16",
    };

    /// <summary>Names accepted by <see cref="Resolve"/> besides a config.json path.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["llama-2-7b", "llama-3-8b"];

    /// <summary>A preset by name (<c>llama-2-7b</c>, <c>llama-3-8b</c>), or the config.json at a path (a file or a model folder).</summary>
    /// <exception cref="ArgumentException">Unknown name and no such file.</exception>
    /// <exception cref="ModelFormatException">The config.json is malformed or unsupported; the message names file and key.</exception>
    public static ModelConfig Resolve(string nameOrConfigPath)
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

        return ModelConfig.Load(path);
    }
}
