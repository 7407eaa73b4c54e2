using System.Buffers;
using MLTokenizers = Microsoft.ML.Tokenizers;

namespace UNComp.Runtime.Tokenization;

/// <summary>
/// The project's tokenizer.json <see cref="Tokenizer"/> as a <see cref="MLTokenizers.Tokenizer"/>, so code written
/// against Microsoft.ML.Tokenizers (text chunkers, token counters, ML.NET) uses it unchanged: the same ids as HF
/// tokenizers, <see cref="MLTokenizers.EncodedToken"/>s with the input range each token came from, counting without
/// an id list, and decoding. Normalization and pre-tokenization always apply (they are part of the tokenizer.json
/// pipeline); the <c>considerNormalization</c>/<c>considerPreTokenization</c> switches are ignored and
/// <c>normalizedText</c> is always null, since offsets refer to the input text.
/// </summary>
public sealed class MicrosoftMLTokenizer : MLTokenizers.Tokenizer
{
    /// <summary>Wraps <paramref name="tokenizer"/>; with <paramref name="addSpecialTokens"/> encodings get the post-processor's BOS/EOS.</summary>
    public MicrosoftMLTokenizer(Tokenizer tokenizer, bool addSpecialTokens = false, bool skipSpecialTokensOnDecode = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Inner = tokenizer;
        AddSpecialTokens = addSpecialTokens;
        SkipSpecialTokensOnDecode = skipSpecialTokensOnDecode;
    }

    /// <summary>The wrapped tokenizer.</summary>
    public Tokenizer Inner { get; }

    /// <summary>Whether encodings include the post-processor's special tokens (BOS/EOS).</summary>
    public bool AddSpecialTokens { get; }

    /// <summary>Whether <see cref="Decode(IEnumerable{int})"/> drops special tokens.</summary>
    public bool SkipSpecialTokensOnDecode { get; }

    /// <inheritdoc />
    protected override MLTokenizers.EncodeResults<MLTokenizers.EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, MLTokenizers.EncodeSettings settings)
    {
        string input = text ?? textSpan.ToString();
        var offsets = Inner.EncodeWithOffsets(input, AddSpecialTokens);
        int n = Math.Min(offsets.Count, settings.MaxTokenCount);
        var tokens = new List<MLTokenizers.EncodedToken>(n);
        for (int i = 0; i < n; i++)
        {
            var o = offsets[i];
            tokens.Add(new MLTokenizers.EncodedToken(o.Id, Inner.IdToToken(o.Id) ?? string.Empty, new Range(o.Index, o.Index + o.Length)));
        }

        return new MLTokenizers.EncodeResults<MLTokenizers.EncodedToken>
        {
            Tokens = tokens,
            NormalizedText = null,
            CharsConsumed = n == offsets.Count ? input.Length : CharsCovered(offsets, n),
        };
    }

    /// <inheritdoc />
    protected override MLTokenizers.EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, MLTokenizers.EncodeSettings settings)
    {
        string input = text ?? textSpan.ToString();
        var ids = Inner.EncodeToIds(input, AddSpecialTokens);
        if (ids.Count <= settings.MaxTokenCount)
        {
            return new MLTokenizers.EncodeResults<int> { Tokens = ids, NormalizedText = null, CharsConsumed = input.Length };
        }

        // Truncated: the characters consumed come from the offsets of the tokens kept.
        var offsets = Inner.EncodeWithOffsets(input, AddSpecialTokens);
        int n = settings.MaxTokenCount;
        return new MLTokenizers.EncodeResults<int> { Tokens = ids.Take(n).ToList(), NormalizedText = null, CharsConsumed = CharsCovered(offsets, n) };
    }

    /// <inheritdoc />
    protected override int CountTokens(string? text, ReadOnlySpan<char> textSpan, MLTokenizers.EncodeSettings settings)
    {
        int count = Inner.CountTokens(text ?? textSpan.ToString(), AddSpecialTokens);
        return Math.Min(count, settings.MaxTokenCount);
    }

    /// <inheritdoc />
    protected override int GetIndexByTokenCount(string? text, ReadOnlySpan<char> textSpan, MLTokenizers.EncodeSettings settings, bool fromEnd,
        out string? normalizedText, out int tokenCount)
    {
        string input = text ?? textSpan.ToString();
        normalizedText = null;
        var offsets = Inner.EncodeWithOffsets(input, AddSpecialTokens);
        int max = settings.MaxTokenCount;
        if (offsets.Count <= max)
        {
            tokenCount = offsets.Count;
            return fromEnd ? 0 : input.Length;
        }

        if (!fromEnd)
        {
            // The longest prefix whose tokens end before the next token starts (a character split over two tokens stays whole).
            int n = max;
            while (n > 0 && offsets[n].Index < End(offsets[n - 1]))
            {
                n--;
            }

            tokenCount = n;
            return n == 0 ? 0 : End(offsets[n - 1]);
        }

        int first = offsets.Count - max;
        while (first < offsets.Count && first > 0 && offsets[first].Index < End(offsets[first - 1]))
        {
            first++;
        }

        tokenCount = offsets.Count - first;
        return first >= offsets.Count ? input.Length : offsets[first].Index;
    }

    /// <inheritdoc />
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Inner.Decode(ids, SkipSpecialTokensOnDecode);
    }

    /// <inheritdoc />
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var list = ids as IReadOnlyList<int> ?? ids.ToList();
        string all = Inner.Decode(list, SkipSpecialTokensOnDecode);
        if (all.Length <= destination.Length)
        {
            all.CopyTo(destination);
            idsConsumed = list.Count;
            charsWritten = all.Length;
            return OperationStatus.Done;
        }

        // The longest prefix of ids whose text fits (binary search: decoded length grows with the prefix).
        int lo = 0, hi = list.Count;
        string best = string.Empty;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            string prefix = Inner.Decode(list.Take(mid), SkipSpecialTokensOnDecode);
            if (prefix.Length <= destination.Length)
            {
                lo = mid;
                best = prefix;
            }
            else
            {
                hi = mid - 1;
            }
        }

        best.CopyTo(destination);
        idsConsumed = lo;
        charsWritten = best.Length;
        return OperationStatus.DestinationTooSmall;
    }

    private static int End(TokenOffset o) => o.Index + o.Length;

    private static int CharsCovered(IReadOnlyList<TokenOffset> offsets, int count)
    {
        int end = 0;
        for (int i = 0; i < count; i++)
        {
            end = Math.Max(end, End(offsets[i]));
        }

        return end;
    }
}
