using UNComp.Runtime.Generation;

namespace UNComp.Runtime.Tests.Evaluation;

/// <summary>One token per ASCII character (ids 0..127), BOS = 1 when special tokens are asked for.</summary>
internal sealed class AsciiCodec : ITokenCodec
{
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens)
    {
        var ids = new List<int>(text.Length + 1);
        if (addSpecialTokens)
        {
            ids.Add(1);
        }

        ids.AddRange(text.Select(c => c < 128 ? (int)c : '?'));
        return ids;
    }

    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens) =>
        new([.. ids.Where(i => !skipSpecialTokens || i >= 9).Select(i => (char)Math.Clamp(i, 0, 127))]);
}
