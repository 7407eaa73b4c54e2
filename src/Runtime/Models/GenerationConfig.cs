namespace UNComp.Runtime.Models;

/// <summary>The parts of a Hugging Face <c>generation_config.json</c> this runtime uses.</summary>
public sealed class GenerationConfig
{
    /// <summary>Token ids that end generation (<c>eos_token_id</c>, an int or an array in the file).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary><c>bos_token_id</c>, or null.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>Reads a <c>generation_config.json</c>.</summary>
    /// <exception cref="ModelFormatException">The file is missing or malformed.</exception>
    public static GenerationConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var doc = JsonConfigReader.Parse(path);
        var r = new JsonConfigReader(doc.RootElement, path);
        int[] bos = r.OptionalIntOrIntArray("bos_token_id");
        return new GenerationConfig
        {
            EosTokenIds = r.OptionalIntOrIntArray("eos_token_id"),
            BosTokenId = bos.Length > 0 ? bos[0] : null,
        };
    }

    /// <summary>
    /// The generation config of a model directory: <c>generation_config.json</c> when present (falling back to
    /// config.json's eos ids when it names none), else config.json's ids.
    /// </summary>
    public static GenerationConfig LoadFor(string directory, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(config);
        string path = System.IO.Path.Combine(directory, "generation_config.json");
        var generation = File.Exists(path) ? Load(path) : FromModelConfig(config);
        return generation.EosTokenIds.Count == 0
            ? new GenerationConfig { EosTokenIds = config.EosTokenIds, BosTokenId = generation.BosTokenId ?? config.BosTokenId }
            : generation;
    }

    /// <summary>The generation defaults implied by a model config (used when generation_config.json is absent).</summary>
    public static GenerationConfig FromModelConfig(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new GenerationConfig { EosTokenIds = config.EosTokenIds, BosTokenId = config.BosTokenId };
    }
}
