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

    /// <summary>The generation defaults implied by a model config (used when generation_config.json is absent).</summary>
    public static GenerationConfig FromModelConfig(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new GenerationConfig { EosTokenIds = config.EosTokenIds, BosTokenId = config.BosTokenId };
    }
}
