using System.IO.Compression;
using UNComp.Runtime.Generation;

namespace UNComp.Runtime.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> tokenizer (BPE model: byte-level like GPT-2/Llama-3, or
/// SentencePiece-style with byte fallback like Llama-2) that produces the same ids as HF <c>tokenizers</c>.
/// The public shape follows Microsoft.ML.Tokenizers (<c>EncodeToIds</c>, <c>Decode</c>, <c>CountTokens</c>); it is also
/// the runtime's <see cref="ITokenCodec"/>.
/// Instances are immutable and safe to use from several threads.
/// </summary>
/// <remarks>
/// A lone UTF-16 surrogate in the input cannot be represented in UTF-8; it is encoded as U+FFFD, which is what
/// HF tokenizers sees after Python replaces it.
/// </remarks>
public sealed class Tokenizer : ITokenCodec
{
    private static readonly string[] BosNames = ["<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>", "<|endoftext|>"];
    private static readonly string[] EosNames = ["</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>", "<|im_end|>"];

    private readonly TextNormalizer? _normalizer;
    private readonly PreTokenizer? _preTokenizer;
    private readonly BpeModel _model;
    private readonly TokenDecoder? _decoder;
    private readonly PostProcessor? _postProcessor;
    private readonly AddedVocabulary _rawAdded;
    private readonly AddedVocabulary _normalizedAdded;
    private readonly Dictionary<int, AddedToken> _addedById = [];
    private readonly Dictionary<string, AddedToken> _addedByContent = new(StringComparer.Ordinal);
    private readonly bool _byteLevel;

    private Tokenizer(TokenizerParts parts, string sourceName)
    {
        SourceName = sourceName;
        _normalizer = parts.Normalizer;
        _preTokenizer = parts.PreTokenizer;
        _model = parts.Model;
        _decoder = parts.Decoder;
        _postProcessor = parts.PostProcessor;
        // As in HF, an added token whose text is already in the model vocabulary takes the model's id.
        var addedTokens = parts.AddedTokens
            .Select(t => _model.TokenToId(t.Content) is { } modelId && modelId != t.Id ? t with { Id = modelId } : t)
            .ToList();
        foreach (var token in addedTokens)
        {
            _addedById[token.Id] = token;
            _addedByContent[token.Content] = token;
        }

        AddedTokens = addedTokens;
        _rawAdded = new AddedVocabulary(addedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        _normalizedAdded = new AddedVocabulary(addedTokens.Where(t => t.Normalized)
            .Select(t => (_normalizer?.Normalize(t.Content) ?? t.Content, t)));
        VocabSize = Math.Max(_model.IdCount, addedTokens.Count == 0 ? 0 : addedTokens.Max(t => t.Id) + 1);
        BosTokenId = TemplateEnd(first: true) ?? FindByName(BosNames);
        EosTokenId = TemplateEnd(first: false) ?? FindByName(EosNames);
        _byteLevel = _decoder is ByteLevelDecoder || (_decoder is SequenceDecoder sequence && sequence.Steps.Any(d => d is ByteLevelDecoder));
    }

    /// <summary>The file name (or other label) the tokenizer was read from; used in error messages.</summary>
    public string SourceName { get; }

    /// <summary>
    /// Beginning-of-sequence id: the first special token of a TemplateProcessing post-processor, else the first
    /// of <c>&lt;s&gt;</c>, <c>&lt;|begin_of_text|&gt;</c>, <c>&lt;bos&gt;</c>, <c>&lt;|startoftext|&gt;</c>,
    /// <c>&lt;|endoftext|&gt;</c> found in the vocabulary; null when none.
    /// </summary>
    public int? BosTokenId { get; }

    /// <summary>
    /// End-of-sequence id: the last special token of a TemplateProcessing post-processor, else the first of
    /// <c>&lt;/s&gt;</c>, <c>&lt;|end_of_text|&gt;</c>, <c>&lt;eos&gt;</c>, <c>&lt;|endoftext|&gt;</c>,
    /// <c>&lt;|im_end|&gt;</c> found in the vocabulary; null when none.
    /// </summary>
    public int? EosTokenId { get; }

    /// <summary>One more than the largest id (model vocabulary and added tokens).</summary>
    public int VocabSize { get; }

    /// <summary>The added tokens of the file, in file order (with the model's id where the text is in the vocabulary).</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Reads a tokenizer.json file (or a gzip-compressed one whose name ends in <c>.gz</c>).</summary>
    /// <exception cref="TokenizerFormatException">The file is malformed; the message names the JSON path.</exception>
    public static Tokenizer FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string json;
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var reader = new StreamReader(stream);
            json = reader.ReadToEnd();
        }
        else
        {
            json = File.ReadAllText(path);
        }

        return FromJson(json, path);
    }

    /// <summary>Parses tokenizer.json text; <paramref name="sourceName"/> labels error messages.</summary>
    /// <exception cref="TokenizerFormatException">The JSON is malformed; the message names the JSON path.</exception>
    public static Tokenizer FromJson(string json, string sourceName = "tokenizer.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        return new Tokenizer(TokenizerJsonLoader.Load(json, sourceName), sourceName);
    }

    /// <summary>Encodes <paramref name="text"/>; with <paramref name="addSpecialTokens"/> the post-processor adds BOS/EOS.</summary>
    public IReadOnlyList<int> EncodeToIds(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        EncodeCore(text, ids);
        return addSpecialTokens && _postProcessor is not null ? _postProcessor.Process(ids) : ids;
    }

    /// <summary>The number of ids <see cref="EncodeToIds"/> would return, counted piece by piece without building the id list.</summary>
    public int CountTokens(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        int count = EncodeCore(text, new List<int>(64), segments: null, countOnly: true);
        return addSpecialTokens && _postProcessor is not null ? count + _postProcessor.Process([]).Count : count;
    }

    /// <summary>
    /// Encodes <paramref name="text"/> and gives each id the range of <paramref name="text"/> it came from (the ids are
    /// those of <see cref="EncodeToIds"/>); tokens the post-processor adds cover nothing at the start or end.
    /// </summary>
    public IReadOnlyList<TokenOffset> EncodeWithOffsets(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        var segments = new List<(int Start, int End, int FirstId)>();
        EncodeCore(text, ids, segments);
        var offsets = new List<TokenOffset>(ids.Count + 2);
        var idSpan = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids);
        for (int s = 0; s < segments.Count; s++)
        {
            var (start, end, first) = segments[s];
            int last = s + 1 < segments.Count ? segments[s + 1].FirstId : ids.Count;
            OffsetAligner.Align(text, start, end, idSpan[first..last], Lookup, _byteLevel, offsets);
        }

        if (!addSpecialTokens || _postProcessor is null)
        {
            return offsets;
        }

        // The post-processor only adds special tokens around the ids (e.g. BOS); keep the text's ids aligned with them.
        var processed = _postProcessor.Process(ids);
        int lead = 0;
        while (lead < processed.Count && lead < processed.Count - ids.Count && (ids.Count == 0 || processed[lead] != ids[0] || !SameFrom(processed, lead, ids)))
        {
            lead++;
        }

        var result = new List<TokenOffset>(processed.Count);
        for (int i = 0; i < processed.Count; i++)
        {
            int k = i - lead;
            result.Add(k >= 0 && k < offsets.Count ? offsets[k] : new TokenOffset(processed[i], k < 0 ? 0 : text.Length, 0));
        }

        return result;
    }

    private static bool SameFrom(List<int> processed, int lead, List<int> ids)
    {
        for (int i = 0; i < ids.Count; i++)
        {
            if (lead + i >= processed.Count || processed[lead + i] != ids[i])
            {
                return false;
            }
        }

        return true;
    }

    private (string Token, bool Added) Lookup(int id) =>
        _addedById.TryGetValue(id, out var added) ? (added.Content, true) : (_model.IdToToken(id) ?? string.Empty, false);

    /// <summary>Decodes ids to text; unknown ids are skipped, as HF tokenizers does.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (var id in ids)
        {
            if (_addedById.TryGetValue(id, out var added))
            {
                if (!skipSpecialTokens || !added.Special)
                {
                    tokens.Add(added.Content);
                }
            }
            else if (_model.IdToToken(id) is { } token
                     && (!skipSpecialTokens || !_addedByContent.TryGetValue(token, out var a) || !a.Special))
            {
                tokens.Add(token);
            }
        }

        return _decoder is null ? string.Join(' ', tokens) : string.Concat(_decoder.DecodeChain(tokens));
    }

    /// <inheritdoc/>
    IReadOnlyList<int> ITokenCodec.Encode(string text, bool addSpecialTokens) => EncodeToIds(text, addSpecialTokens);

    /// <inheritdoc/>
    string ITokenCodec.Decode(IReadOnlyList<int> ids, bool skipSpecialTokens) => Decode(ids, skipSpecialTokens);

    /// <summary>The id of a token string (added tokens first, then the model vocabulary), or null.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _addedByContent.TryGetValue(token, out var added) ? added.Id : _model.TokenToId(token);
    }

    /// <summary>The token string of an id (as stored in the vocabulary, e.g. <c>Ġthe</c>), or null.</summary>
    public string? IdToToken(int id) => _addedById.TryGetValue(id, out var added) ? added.Content : _model.IdToToken(id);

    /// <summary>This tokenizer as a <c>Microsoft.ML.Tokenizers.Tokenizer</c> (see <see cref="MicrosoftMLTokenizer"/>).</summary>
    public MicrosoftMLTokenizer AsMicrosoftMLTokenizer(bool addSpecialTokens = false, bool skipSpecialTokensOnDecode = false) =>
        new(this, addSpecialTokens, skipSpecialTokensOnDecode);

    /// <summary>A decoder for generated ids one at a time that only ever emits whole characters.</summary>
    public TokenizerStreamDecoder CreateStreamDecoder(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    /// <summary>
    /// The encoding pipeline: added tokens, normalizer, pre-tokenizer, BPE. Ids go to <paramref name="ids"/>; with
    /// <paramref name="countOnly"/> the list is cleared after each piece and only the count is kept. Returns the count.
    /// </summary>
    private int EncodeCore(string text, List<int> ids, List<(int Start, int End, int FirstId)>? segments = null, bool countOnly = false)
    {
        int counted = 0;
        text = ReplaceLoneSurrogates(text);
        var rawSegments = new List<(int Start, int End, AddedToken? Token)>();
        _rawAdded.Split(text, rawSegments);
        var normalizedSegments = new List<(int Start, int End, AddedToken? Token)>();
        var pieces = new List<TextPiece>();
        foreach (var (start, end, token) in rawSegments)
        {
            segments?.Add((start, end, ids.Count));
            if (token is not null)
            {
                ids.Add(token.Id);
                continue;
            }

            var segment = text[start..end];
            var normalized = _normalizer?.Normalize(segment) ?? segment;
            normalizedSegments.Clear();
            _normalizedAdded.Split(normalized, normalizedSegments);
            foreach (var (nStart, nEnd, nToken) in normalizedSegments)
            {
                if (nToken is not null)
                {
                    ids.Add(nToken.Id);
                    continue;
                }

                if (nEnd == nStart)
                {
                    continue;
                }

                var piece = new TextPiece(
                    nStart == 0 && nEnd == normalized.Length ? normalized : normalized[nStart..nEnd], start == 0 && nStart == 0);
                pieces.Clear();
                if (_preTokenizer is null)
                {
                    pieces.Add(piece);
                }
                else
                {
                    _preTokenizer.Split(piece, pieces);
                }

                foreach (var p in pieces)
                {
                    _model.Tokenize(p.Text, ids);
                    if (countOnly)
                    {
                        counted += ids.Count;
                        ids.Clear();
                    }
                }
            }
        }

        return counted + ids.Count;
    }

    private static string ReplaceLoneSurrogates(string text)
    {
        var i = 0;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                break;
            }
        }

        if (i == text.Length)
        {
            return text;
        }

        var chars = text.ToCharArray();
        for (; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }

    private int? TemplateEnd(bool first)
    {
        if (_postProcessor is not TemplatePostProcessor template || template.Pieces.Count == 0)
        {
            return null;
        }

        var piece = first ? template.Pieces[0] : template.Pieces[^1];
        return piece.Length == 1 ? piece[0] : null;
    }

    private int? FindByName(string[] names)
    {
        foreach (var name in names)
        {
            if (TokenToId(name) is { } id)
            {
                return id;
            }
        }

        return null;
    }
}
