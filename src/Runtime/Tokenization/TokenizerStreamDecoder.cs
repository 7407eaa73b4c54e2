namespace UNComp.Runtime.Tokenization;

/// <summary>
/// Decodes generated ids one at a time. Text is emitted only once it no longer ends in an incomplete UTF-8
/// sequence (shown by the decoders as U+FFFD), so the concatenation of all <see cref="Append"/> results equals
/// <see cref="Tokenizer.Decode"/> of all ids. Decoders that look at neighbouring tokens (a leading space stripped
/// from the first token, for instance) see a window of earlier ids, as in HF's <c>DecodeStream</c>.
/// Not thread-safe: one instance per generated sequence.
/// </summary>
public sealed class TokenizerStreamDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<int> _ids = [];
    private string _prefix = string.Empty;
    private int _prefixIndex;

    internal TokenizerStreamDecoder(Tokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id and returns the new complete text (possibly empty).</summary>
    public string Append(int id)
    {
        if (_prefix.Length == 0 && _ids.Count > 0)
        {
            var newPrefix = _tokenizer.Decode(_ids, _skipSpecialTokens);
            if (!newPrefix.EndsWith('\uFFFD'))
            {
                _prefix = newPrefix;
                _prefixIndex = _ids.Count;
            }
        }

        _ids.Add(id);
        var text = _tokenizer.Decode(_ids, _skipSpecialTokens);
        if (text.Length <= _prefix.Length || text.EndsWith('\uFFFD') || !text.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return string.Empty;
        }

        var newText = text[_prefix.Length..];
        var newPrefixIndex = _ids.Count - _prefixIndex;
        _ids.RemoveRange(0, _prefixIndex);
        _prefix = _tokenizer.Decode(_ids, _skipSpecialTokens);
        _prefixIndex = newPrefixIndex;
        return newText;
    }

    /// <summary>Forgets all ids (for a new sequence).</summary>
    public void Reset()
    {
        _ids.Clear();
        _prefix = string.Empty;
        _prefixIndex = 0;
    }
}
