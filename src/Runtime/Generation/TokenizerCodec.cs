using UNComp.Runtime.Tokenization;

namespace UNComp.Runtime.Generation;

/// <summary>Adapts the project's <see cref="Tokenizer"/> (tokenizer.json) to <see cref="ITokenCodec"/>.</summary>
public sealed class TokenizerCodec : ITokenCodec
{
    /// <summary>Wraps a tokenizer.</summary>
    public TokenizerCodec(Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Tokenizer = tokenizer;
    }

    /// <summary>The wrapped tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>Loads <c>tokenizer.json</c> from a model directory (or the file itself).</summary>
    public static TokenizerCodec Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string file = Directory.Exists(path) ? Path.Combine(path, "tokenizer.json") : path;
        return new TokenizerCodec(Tokenizer.FromFile(file));
    }

    /// <inheritdoc />
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens) => Tokenizer.EncodeToIds(text, addSpecialTokens);

    /// <inheritdoc />
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens) => Tokenizer.Decode(ids, skipSpecialTokens);
}
