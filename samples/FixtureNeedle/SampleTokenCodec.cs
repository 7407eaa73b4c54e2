using UNComp.Runtime.Generation;
using UNComp.Runtime.Tokenization;

namespace FixtureNeedle;

/// <summary>The model's own <c>tokenizer.json</c>, as the text ↔ ids codec the generation APIs take.</summary>
internal sealed class SampleTokenCodec(Tokenizer tokenizer) : ITokenCodec
{
    public static SampleTokenCodec Load(string modelDirectory) => new(Tokenizer.FromFile(Path.Combine(modelDirectory, "tokenizer.json")));

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens) => tokenizer.EncodeToIds(text, addSpecialTokens);

    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens) => tokenizer.Decode(ids, skipSpecialTokens);
}
