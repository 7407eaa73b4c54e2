using System.Collections.Concurrent;
using System.Text;

namespace UNComp.Runtime.Tokenization;

/// <summary>
/// The BPE model of tokenizer.json: a word is split into code points (byte-fallback or unknown tokens for
/// those not in the vocabulary), then the lowest-ranked adjacent pair is merged until none applies, ties going
/// to the leftmost pair, exactly as HF tokenizers does. Results are cached per word.
/// </summary>
internal sealed class BpeModel
{
    private const int CacheCapacity = 100_000;
    private const int CacheableLength = 256;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly string?[] _idToToken;
    private readonly Dictionary<MergePair, (int Rank, int NewId)> _merges;
    private readonly int[] _byteFallbackIds;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;

    [ThreadStatic]
    private static WordBuffers? t_buffers;

    /// <summary>The tokenizer.json this model came from, for error messages.</summary>
    internal string SourceName { get; init; } = "tokenizer.json";

    public BpeModel(
        Dictionary<string, int> vocab,
        Dictionary<MergePair, (int Rank, int NewId)> merges,
        string? unkToken,
        string? continuingSubwordPrefix,
        string? endOfWordSuffix,
        bool fuseUnk,
        bool byteFallback,
        bool ignoreMerges)
    {
        _vocab = vocab;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = merges;
        UnkToken = unkToken;
        ContinuingSubwordPrefix = string.IsNullOrEmpty(continuingSubwordPrefix) ? null : continuingSubwordPrefix;
        EndOfWordSuffix = string.IsNullOrEmpty(endOfWordSuffix) ? null : endOfWordSuffix;
        FuseUnk = fuseUnk;
        ByteFallback = byteFallback;
        IgnoreMerges = ignoreMerges;
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();

        var maxId = vocab.Count == 0 ? -1 : vocab.Values.Max();
        _idToToken = new string?[maxId + 1];
        foreach (var (token, id) in vocab)
        {
            _idToToken[id] = token;
        }

        _byteFallbackIds = new int[256];
        for (var b = 0; b < 256; b++)
        {
            _byteFallbackIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1;
        }
    }

    public string? UnkToken { get; }

    public string? ContinuingSubwordPrefix { get; }

    public string? EndOfWordSuffix { get; }

    public bool FuseUnk { get; }

    public bool ByteFallback { get; }

    public bool IgnoreMerges { get; }

    /// <summary>One more than the largest id of the model vocabulary.</summary>
    public int IdCount => _idToToken.Length;

    public int? TokenToId(string token) => _vocab.TryGetValue(token, out var id) ? id : null;

    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>Appends the ids of <paramref name="word"/> (one pre-tokenized piece) to <paramref name="ids"/>.</summary>
    public void Tokenize(ReadOnlySpan<char> word, List<int> ids)
    {
        if (word.IsEmpty)
        {
            return;
        }

        if (IgnoreMerges && _vocabBySpan.TryGetValue(word, out var whole))
        {
            ids.Add(whole);
            return;
        }

        if (_cacheBySpan.TryGetValue(word, out var cached))
        {
            ids.AddRange(cached);
            return;
        }

        var result = MergeWord(word);
        if (word.Length <= CacheableLength)
        {
            if (_cache.Count >= CacheCapacity)
            {
                _cache.Clear();
            }

            _cacheBySpan.TryAdd(word, result);
        }

        ids.AddRange(result);
    }

    private int[] MergeWord(ReadOnlySpan<char> word)
    {
        var buffers = t_buffers ??= new WordBuffers();
        var symbols = buffers.Symbols;
        symbols.Clear();
        var pendingUnk = -1;
        var unkId = UnkToken is not null && _vocab.TryGetValue(UnkToken, out var u) ? u : -1;
        var unkPending = false;

        for (var i = 0; i < word.Length;)
        {
            var width = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            var piece = word.Slice(i, width);
            var isFirst = i == 0;
            var isLast = i + width == word.Length;
            i += width;

            int id;
            bool found;
            if ((ContinuingSubwordPrefix is null || isFirst) && (EndOfWordSuffix is null || !isLast))
            {
                found = _vocabBySpan.TryGetValue(piece, out id);
            }
            else
            {
                var text = (isFirst ? string.Empty : ContinuingSubwordPrefix ?? string.Empty) + piece.ToString()
                    + (isLast ? EndOfWordSuffix ?? string.Empty : string.Empty);
                found = _vocab.TryGetValue(text, out id);
            }

            if (found)
            {
                if (unkPending)
                {
                    symbols.Add(pendingUnk);
                    unkPending = false;
                }

                symbols.Add(id);
                continue;
            }

            if (ByteFallback && TryByteFallback(piece, symbols))
            {
                continue;
            }

            if (unkId < 0)
            {
                if (UnkToken is not null)
                {
                    // HF tokenizers fail the same way, at encode time; the error still names the file and field.
                    throw new TokenizerFormatException(SourceName, "$.model.unk_token", $"\"{UnkToken}\" is not in $.model.vocab, and the text has a piece no token covers.");
                }

                continue;
            }

            if (unkPending && !FuseUnk)
            {
                symbols.Add(pendingUnk);
            }

            pendingUnk = unkId;
            unkPending = true;
        }

        if (unkPending)
        {
            symbols.Add(pendingUnk);
        }

        Merge(buffers);
        if (buffers.Count == 0)
        {
            return [];
        }

        var result = new int[buffers.Count];
        var k = 0;
        for (var s = 0; s >= 0; s = buffers.Next[s])
        {
            result[k++] = buffers.Ids[s];
        }

        return result;
    }

    private bool TryByteFallback(ReadOnlySpan<char> piece, List<int> symbols)
    {
        Span<byte> bytes = stackalloc byte[4];
        var count = Encoding.UTF8.GetBytes(piece, bytes);
        for (var b = 0; b < count; b++)
        {
            if (_byteFallbackIds[bytes[b]] < 0)
            {
                return false;
            }
        }

        for (var b = 0; b < count; b++)
        {
            symbols.Add(_byteFallbackIds[bytes[b]]);
        }

        return true;
    }

    private void Merge(WordBuffers buffers)
    {
        var n = buffers.Symbols.Count;
        buffers.Reset(n);
        var ids = buffers.Ids;
        var prev = buffers.Prev;
        var next = buffers.Next;
        if (n == 0)
        {
            next[0] = -1;
            return;
        }

        var queue = buffers.Queue;
        queue.Clear();
        for (var i = 0; i + 1 < n; i++)
        {
            if (_merges.TryGetValue(new MergePair(ids[i], ids[i + 1]), out var merge))
            {
                queue.Push(merge.Rank, i, merge.NewId);
            }
        }

        var count = n;
        while (queue.TryPop(out var pos, out var topNewId))
        {
            if (ids[pos] < 0)
            {
                continue;
            }

            var right = next[pos];
            if (right < 0 || !_merges.TryGetValue(new MergePair(ids[pos], ids[right]), out var current)
                || current.NewId != topNewId)
            {
                continue;
            }

            ids[pos] = topNewId;
            ids[right] = -1;
            next[pos] = next[right];
            if (next[pos] >= 0)
            {
                prev[next[pos]] = pos;
            }

            count--;
            var left = prev[pos];
            if (left >= 0 && _merges.TryGetValue(new MergePair(ids[left], ids[pos]), out var withLeft))
            {
                queue.Push(withLeft.Rank, left, withLeft.NewId);
            }

            if (next[pos] >= 0 && _merges.TryGetValue(new MergePair(ids[pos], ids[next[pos]]), out var withRight))
            {
                queue.Push(withRight.Rank, pos, withRight.NewId);
            }
        }

        buffers.Count = count;
    }

    /// <summary>Per-thread scratch arrays for one word's merge loop.</summary>
    private sealed class WordBuffers
    {
        public List<int> Symbols { get; } = [];

        public int[] Ids { get; private set; } = new int[64];

        public int[] Prev { get; private set; } = new int[64];

        public int[] Next { get; private set; } = new int[64];

        public int Count { get; set; }

        public MergeQueue Queue { get; } = new();

        public void Reset(int n)
        {
            if (Ids.Length < n + 1)
            {
                Ids = new int[n * 2];
                Prev = new int[n * 2];
                Next = new int[n * 2];
            }

            for (var i = 0; i < n; i++)
            {
                Ids[i] = Symbols[i];
                Prev[i] = i - 1;
                Next[i] = i + 1 < n ? i + 1 : -1;
            }

            Count = n;
        }
    }
}
