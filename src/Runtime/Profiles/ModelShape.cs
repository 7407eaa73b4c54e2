using System.Globalization;
using System.Text.Json;

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

    /// <summary>Reads a Hugging Face config.json (Llama, Mistral, Qwen2).</summary>
    /// <exception cref="FormatException">A required key is missing or not a number; the message names file and key.</exception>
    public static ModelShape FromConfigJson(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        int Int(string key, int? fallback = null)
        {
            if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i))
            {
                return i;
            }

            return fallback ?? throw new FormatException($"{path}: $.{key} is missing or not an integer; a Llama-family config.json has it.");
        }

        string architecture = root.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0
            ? a[0].GetString() ?? "LlamaForCausalLM"
            : "LlamaForCausalLM";
        int hidden = Int("hidden_size");
        int heads = Int("num_attention_heads");
        int kv = Int("num_key_value_heads", heads);
        int headDim = root.TryGetProperty("head_dim", out var hd) && hd.ValueKind == JsonValueKind.Number ? hd.GetInt32() : hidden / heads;
        string dtypeName = (root.TryGetProperty("torch_dtype", out var t) ? t.GetString() : null)
            ?? (root.TryGetProperty("dtype", out var t2) ? t2.GetString() : null) ?? "float32";
        string dtype = dtypeName switch
        {
            "bfloat16" => "BF16",
            "float16" => "F16",
            "float32" => "F32",
            _ => dtypeName.ToUpper(CultureInfo.InvariantCulture),
        };
        bool tied = root.TryGetProperty("tie_word_embeddings", out var tie) && tie.ValueKind == JsonValueKind.True;
        var dims = new ModelDimensions(architecture, Int("num_hidden_layers"), hidden, heads, kv, headDim, Int("vocab_size"), Int("max_position_embeddings", 4096));
        return new ModelShape(dims, Int("intermediate_size"), dtype, tied);
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
