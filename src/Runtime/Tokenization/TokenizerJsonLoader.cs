using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace UNComp.Runtime.Tokenization;

/// <summary>Reads tokenizer.json into the pipeline components, naming the JSON path of every problem.</summary>
internal static class TokenizerJsonLoader
{
    public static TokenizerParts Load(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(source, $"$ (line {e.LineNumber + 1})", $"not valid JSON: {e.Message}");
        }

        if (Models.JsonStrings.FindInvalid(document.RootElement) is { } badPath)
        {
            document.Dispose();
            throw new TokenizerFormatException(source, badPath, "the string is not valid Unicode (a lone surrogate escape or invalid UTF-8)");
        }

        using (document)
        {
            var root = new JsonPathNode(document.RootElement, "$", source);
            var normalizer = root.Optional("normalizer") is { } n ? Normalizer(n) : null;
            var preTokenizer = root.Optional("pre_tokenizer") is { } p ? PreTokenizer(p) : null;
            var model = Model(root.Required("model"));
            var added = AddedTokens(root.Optional("added_tokens"));
            var decoder = root.Optional("decoder") is { } d ? Decoder(d) : null;
            var postProcessor = root.Optional("post_processor") is { } pp ? PostProcessor(pp, model, added) : null;
            return new TokenizerParts(normalizer, preTokenizer, model, added, decoder, postProcessor);
        }
    }

    private static BpeModel Model(JsonPathNode node)
    {
        var type = node.Optional("type")?.String() ?? "BPE";
        if (type != "BPE")
        {
            throw node.Required("type").Error($"model type \"{type}\" is not supported; only BPE is");
        }

        if (node.Optional("dropout") is { } dropout && dropout.Element.ValueKind == JsonValueKind.Number
            && dropout.Element.GetDouble() > 0)
        {
            throw dropout.Error("BPE dropout is not supported; set it to null");
        }

        var vocabNode = node.Required("vocab");
        var vocab = new Dictionary<string, int>(vocabNode.Element.ValueKind == JsonValueKind.Object
            ? vocabNode.Element.EnumerateObject().Count() : 0, StringComparer.Ordinal);
        foreach (var (token, idNode) in vocabNode.Properties())
        {
            var id = TokenId(idNode);

            vocab[token] = id;
        }

        var prefix = node.OptionalString("continuing_subword_prefix");
        var merges = new Dictionary<MergePair, (int Rank, int NewId)>();
        var mergesNode = node.Optional("merges");
        var rank = 0;
        foreach (var item in mergesNode?.Items() ?? [])
        {
            string left, right;
            if (item.Element.ValueKind == JsonValueKind.String)
            {
                var text = item.Element.GetString()!;
                var space = text.IndexOf(' ', StringComparison.Ordinal);
                if (space <= 0 || space == text.Length - 1 || text.IndexOf(' ', space + 1) >= 0)
                {
                    throw item.Error($"expected \"a b\" or [\"a\",\"b\"], found \"{text}\"");
                }

                left = text[..space];
                right = text[(space + 1)..];
            }
            else if (item.Element.ValueKind == JsonValueKind.Array && item.Element.GetArrayLength() == 2
                     && item.Element[0].ValueKind == JsonValueKind.String
                     && item.Element[1].ValueKind == JsonValueKind.String)
            {
                left = item.Element[0].GetString()!;
                right = item.Element[1].GetString()!;
            }
            else
            {
                throw item.Error($"expected \"a b\" or [\"a\",\"b\"], found {item.Describe()}");
            }

            if (!vocab.TryGetValue(left, out var leftId))
            {
                throw item.Error($"merge token \"{left}\" is not in $.model.vocab");
            }

            if (!vocab.TryGetValue(right, out var rightId))
            {
                throw item.Error($"merge token \"{right}\" is not in $.model.vocab");
            }

            var merged = left + (prefix is { Length: > 0 } && right.StartsWith(prefix, StringComparison.Ordinal)
                ? right[prefix.Length..]
                : right);
            if (!vocab.TryGetValue(merged, out var newId))
            {
                throw item.Error($"merge result \"{merged}\" is not in $.model.vocab");
            }

            merges.TryAdd(new MergePair(leftId, rightId), (rank, newId));
            rank++;
        }

        var unk = node.OptionalString("unk_token");
        return new BpeModel(
            vocab,
            merges,
            unk,
            prefix,
            node.OptionalString("end_of_word_suffix"),
            node.OptionalBool("fuse_unk", false),
            node.OptionalBool("byte_fallback", false),
            node.OptionalBool("ignore_merges", false))
        {
            SourceName = node.Source,
        };
    }

    /// <summary>Ids index arrays sized by the largest id, so they must be non-negative and bounded (real vocabularies stay far below).</summary>
    private const int MaxTokenId = (1 << 24) - 1;

    private static int TokenId(JsonPathNode node)
    {
        var id = node.Int();
        if (id < 0 || id > MaxTokenId)
        {
            throw node.Error($"token id {id} must be in [0, {MaxTokenId}]; ids are dense indices into the vocabulary");
        }

        return id;
    }

    private static List<AddedToken> AddedTokens(JsonPathNode? node)
    {
        var list = new List<AddedToken>();
        foreach (var item in node?.Items() ?? [])
        {
            list.Add(new AddedToken(
                TokenId(item.Required("id")),
                item.Required("content").String(),
                item.OptionalBool("special", false),
                item.OptionalBool("single_word", false),
                item.OptionalBool("lstrip", false),
                item.OptionalBool("rstrip", false),
                item.OptionalBool("normalized", !item.OptionalBool("special", false))));
        }

        return list;
    }

    private static TextNormalizer Normalizer(JsonPathNode node)
    {
        var type = node.TypeName();
        if (type is "NFC" or "NFD" or "NFKC" or "NFKD" && !UnicodeNormalizer.IsAvailable)
        {
            throw new NotSupportedException(
                $"{node.Source}: {node.Path}.type: {type} normalization is unavailable because the process runs in " +
                "globalization-invariant mode (InvariantGlobalization=true or DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1); " +
                "turn it off and install ICU (libicu) so ids match HF tokenizers.");
        }

        return type switch
        {
            "Sequence" => new SequenceNormalizer([.. node.Required("normalizers").Items().Select(Normalizer)]),
            "NFC" => new UnicodeNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeNormalizer(NormalizationForm.FormKD),
            "Prepend" => new PrependNormalizer(node.Required("prepend").String()),
            "Replace" => ReplaceParts(node, (l, r, c) => new ReplaceNormalizer(l, r, c)),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(node.OptionalBool("strip_left", true), node.OptionalBool("strip_right", true)),
            _ => throw node.Required("type").Error($"normalizer type \"{type}\" is not supported"),
        };
    }

    private static PreTokenizer PreTokenizer(JsonPathNode node)
    {
        var type = node.TypeName();
        switch (type)
        {
            case "Sequence":
                return new SequencePreTokenizer([.. node.Required("pretokenizers").Items().Select(PreTokenizer)]);
            case "ByteLevel":
                return new ByteLevelPreTokenizer(node.OptionalBool("add_prefix_space", true), node.OptionalBool("use_regex", true));
            case "Split":
            {
                var (literal, regexText, patternNode) = Pattern(node.Required("pattern"));
                var behaviorNode = node.Required("behavior");
                var behavior = behaviorNode.String() switch
                {
                    "Removed" => SplitBehavior.Removed,
                    "Isolated" => SplitBehavior.Isolated,
                    "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
                    "MergedWithNext" => SplitBehavior.MergedWithNext,
                    "Contiguous" => SplitBehavior.Contiguous,
                    var other => throw behaviorNode.Error(
                        $"unknown behavior \"{other}\"; expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous"),
                };
                var scanner = regexText is null ? null : SplitPatternScanner.TryCreate(regexText);
                var regex = regexText is null || scanner is not null ? null : CompileRegex(regexText, patternNode);
                return new SplitPreTokenizer(literal, scanner, regex, behavior, node.OptionalBool("invert", false));
            }

            case "Metaspace":
                return new MetaspacePreTokenizer(Replacement(node), Scheme(node), node.OptionalBool("split", true));
            case "Digits":
                return new DigitsPreTokenizer(node.OptionalBool("individual_digits", false));
            case "WhitespaceSplit":
                return new WhitespaceSplitPreTokenizer();
            default:
                throw node.Required("type").Error($"pre-tokenizer type \"{type}\" is not supported");
        }
    }

    private static TokenDecoder Decoder(JsonPathNode node)
    {
        var type = node.TypeName();
        return type switch
        {
            "Sequence" => new SequenceDecoder([.. node.Required("decoders").Items().Select(Decoder)]),
            "ByteLevel" => new ByteLevelDecoder(),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(SingleChar(node.Required("content")), node.OptionalInt("start", 0), node.OptionalInt("stop", 0)),
            "Replace" => ReplaceParts(node, (l, r, c) => new ReplaceDecoder(l, r, c)),
            "Metaspace" => new MetaspaceDecoder(Replacement(node), Scheme(node)),
            _ => throw node.Required("type").Error($"decoder type \"{type}\" is not supported"),
        };
    }

    private static PostProcessor PostProcessor(JsonPathNode node, BpeModel model, List<AddedToken> added)
    {
        var type = node.TypeName();
        switch (type)
        {
            case "ByteLevel":
                return new IdentityPostProcessor();
            case "Sequence":
                return new SequencePostProcessor([.. node.Required("processors").Items().Select(p => PostProcessor(p, model, added))]);
            case "RobertaProcessing":
            case "BertProcessing":
                return new TemplatePostProcessor([[TokenIdPair(node.Required("cls"))], [], [TokenIdPair(node.Required("sep"))]]);
            case "TemplateProcessing":
            {
                var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
                foreach (var (name, special) in node.Optional("special_tokens")?.Properties() ?? [])
                {
                    specials[name] = [.. special.Required("ids").Items().Select(i => i.Int())];
                }

                var pieces = new List<int[]>();
                foreach (var item in node.Required("single").Items())
                {
                    if (item.Optional("Sequence") is not null)
                    {
                        pieces.Add([]);
                    }
                    else if (item.Optional("SpecialToken") is { } token)
                    {
                        var idNode = token.Required("id");
                        var name = idNode.String();
                        pieces.Add(specials.TryGetValue(name, out var ids)
                            ? ids
                            : throw idNode.Error($"special token \"{name}\" is not defined in $.post_processor.special_tokens"));
                    }
                    else
                    {
                        throw item.Error("expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
                    }
                }

                return new TemplatePostProcessor([.. pieces]);
            }

            default:
                throw node.Required("type").Error($"post-processor type \"{type}\" is not supported");
        }
    }

    private static int TokenIdPair(JsonPathNode node)
    {
        var items = node.Items();
        return items.Count == 2 ? items[1].Int() : throw node.Error("expected [\"token\", id]");
    }

    private static T ReplaceParts<T>(JsonPathNode node, Func<string?, Regex?, string, T> create)
    {
        var (literal, regexText, patternNode) = Pattern(node.Required("pattern"));
        var regex = regexText is null ? null : CompileRegex(regexText, patternNode);
        return create(literal, regex, node.Required("content").String());
    }

    private static (string? Literal, string? Regex, JsonPathNode Node) Pattern(JsonPathNode node)
    {
        if (node.Optional("String") is { } literal)
        {
            return (literal.String(), null, literal);
        }

        if (node.Optional("Regex") is { } regex)
        {
            return (null, regex.String(), regex);
        }

        throw node.Error("expected {\"String\": ...} or {\"Regex\": ...}");
    }

    private static Regex CompileRegex(string pattern, JsonPathNode node)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw node.Error($"regex not supported by .NET: {e.Message}");
        }
    }

    private static char Replacement(JsonPathNode node) =>
        node.Optional("replacement") is { } r ? SingleChar(r) : '\u2581';

    private static PrependScheme Scheme(JsonPathNode node)
    {
        if (node.Optional("prepend_scheme") is { } scheme)
        {
            return scheme.String() switch
            {
                "always" => PrependScheme.Always,
                "first" => PrependScheme.First,
                "never" => PrependScheme.Never,
                var other => throw scheme.Error($"unknown prepend_scheme \"{other}\"; expected always, first or never"),
            };
        }

        // Older files: add_prefix_space true means "always".
        return node.OptionalBool("add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never;
    }

    private static char SingleChar(JsonPathNode node)
    {
        var text = node.String();
        return text.Length == 1 ? text[0] : throw node.Error($"expected a single character, found \"{text}\"");
    }
}

/// <summary>The parsed components of a tokenizer.json.</summary>
internal sealed record TokenizerParts(
    TextNormalizer? Normalizer,
    PreTokenizer? PreTokenizer,
    BpeModel Model,
    List<AddedToken> AddedTokens,
    TokenDecoder? Decoder,
    PostProcessor? PostProcessor);
