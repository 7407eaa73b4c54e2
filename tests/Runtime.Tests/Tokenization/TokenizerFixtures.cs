using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using UNComp.Runtime.Tests.TestSupport;
using UNComp.Runtime.Tokenization;

namespace UNComp.Runtime.Tests.Tokenization;

/// <summary>Loads the tokenizer fixtures, the parity corpus and HF golden ids (tests/fixtures/tokenizers).</summary>
internal static class TokenizerFixtures
{
    private static readonly ConcurrentDictionary<string, Tokenizer> Tokenizers = new();
    private static readonly Lazy<IReadOnlyList<CorpusItem>> LazyCorpus = new(LoadCorpus);

    public static string Directory { get; } = FixtureDirectory.Find("tests", "fixtures", "tokenizers");

    public static IReadOnlyList<CorpusItem> Corpus => LazyCorpus.Value;

    public static Tokenizer Load(string name) =>
        Tokenizers.GetOrAdd(name, n => Tokenizer.FromJson(Source(n), $"{n}.tokenizer.json"));

    /// <summary>The JSON of a stored fixture, or of a variant from variants.json built like golden_ids.py does.</summary>
    public static string Source(string name)
    {
        var file = Path.Combine(Directory, $"{name}.tokenizer.json.gz");
        if (File.Exists(file))
        {
            return string.Join('\n', ReadLines($"{name}.tokenizer.json.gz"));
        }

        var variants = JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, "variants.json")))!;
        var variant = variants[name] ?? throw new FileNotFoundException($"no fixture or variant named {name}");
        var doc = JsonNode.Parse(Source((string)variant["base"]!))!.AsObject();
        foreach (var (key, value) in variant["set"]?.AsObject() ?? [])
        {
            doc[key] = value?.DeepClone();
        }

        var added = doc["added_tokens"]!.AsArray();
        foreach (var token in variant["append_added_tokens"]?.AsArray() ?? [])
        {
            added.Add(token!.DeepClone());
        }

        return doc.ToJsonString();
    }

    public static IEnumerable<string> ReadLines(string fileName)
    {
        using var stream = new GZipStream(File.OpenRead(Path.Combine(Directory, fileName)), CompressionMode.Decompress);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                yield return line;
            }
        }
    }

    public static List<GoldenItem> Golden(string name)
    {
        var list = new List<GoldenItem>();
        foreach (var line in ReadLines($"{name}.golden.jsonl.gz"))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            list.Add(new GoldenItem(
                root.GetProperty("id").GetInt32(),
                [.. root.GetProperty("a").EnumerateArray().Select(e => e.GetInt32())],
                [.. root.GetProperty("n").EnumerateArray().Select(e => e.GetInt32())],
                root.GetProperty("d").GetString()!,
                root.GetProperty("ds").GetString()!));
        }

        return list;
    }

    private static List<CorpusItem> LoadCorpus()
    {
        var list = new List<CorpusItem>();
        foreach (var line in ReadLines("corpus.jsonl.gz"))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var hfText = root.GetProperty("text").GetString()!;
            var lone = root.GetProperty("lone").EnumerateArray().Select(e => (char)Convert.ToInt32(e.GetString(), 16)).ToList();
            var text = hfText;
            if (lone.Count > 0)
            {
                // Put the lone surrogates back in place of the U+FFFD placeholders HF saw.
                var chars = hfText.ToCharArray();
                var k = 0;
                for (var i = 0; i < chars.Length && k < lone.Count; i++)
                {
                    if (chars[i] == '\uFFFD')
                    {
                        chars[i] = lone[k++];
                    }
                }

                text = new string(chars);
            }

            list.Add(new CorpusItem(root.GetProperty("id").GetInt32(), root.GetProperty("cat").GetString()!, text, hfText));
        }

        return list;
    }
}

/// <summary>One corpus string: <see cref="Text"/> as .NET sees it, <see cref="HfText"/> as HF saw it.</summary>
internal sealed record CorpusItem(int Id, string Category, string Text, string HfText);

/// <summary>HF ids with and without special tokens, and HF's decode of the former (with and without specials).</summary>
internal sealed record GoldenItem(int Id, int[] WithSpecial, int[] WithoutSpecial, string Decoded, string DecodedSkipSpecial);
