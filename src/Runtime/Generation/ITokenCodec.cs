namespace UNComp.Runtime.Generation;

/// <summary>
/// Text ↔ token ids, as the text-level APIs (chat client, CLI) need it. The project's
/// <c>UNComp.Runtime.Tokenization.Tokenizer</c> is adapted to this; any tokenizer with the same two operations
/// (e.g. Microsoft.ML.Tokenizers) can be plugged in.
/// </summary>
public interface ITokenCodec
{
    /// <summary>Encodes text; <paramref name="addSpecialTokens"/> adds e.g. the BOS token where the model expects it.</summary>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens);

    /// <summary>Decodes ids to text; <paramref name="skipSpecialTokens"/> drops special tokens such as eos.</summary>
    string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens);
}
