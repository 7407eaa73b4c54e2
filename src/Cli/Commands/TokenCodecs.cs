using UNComp.Runtime.Generation;

namespace UNComp.Cli.Commands;

/// <summary>Finds the text tokenizer of a model directory for the CLI.</summary>
internal static class TokenCodecs
{
    public static ITokenCodec Load(string modelDirectory)
    {
        string path = Path.Combine(modelDirectory, "tokenizer.json");
        if (!File.Exists(path))
        {
            throw new IOException($"{path}: not found; text prompts need the model's tokenizer.json (or pass --prompt-ids).");
        }

        return TokenizerCodec.Load(path);
    }
}
