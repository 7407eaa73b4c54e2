using System.Text.Json;
using UNComp.Runtime.Generation;

namespace UNComp.Runtime.Calibration;

/// <summary>
/// Calibration text as token documents: a text file (one document), a JSONL file (one document per line: a JSON
/// string, an object with "text", or an object with pre-tokenised "ids"), or a folder of such files (*.txt,
/// *.jsonl, sorted by name).
/// </summary>
public static class CalibrationCorpus
{
    /// <summary>Loads and tokenises the documents at <paramref name="path"/>.</summary>
    /// <param name="path">File or folder.</param>
    /// <param name="codec">Tokenizer; may be null only when every document carries "ids".</param>
    /// <exception cref="InvalidDataException">A line is not usable; the message names file and line.</exception>
    public static IReadOnlyList<int[]> Load(string path, ITokenCodec? codec)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path).Where(f => f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0)
            {
                throw new InvalidDataException($"{path}: no *.txt or *.jsonl files.");
            }

            return files.SelectMany(f => Load(f, codec)).ToArray();
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: calibration data not found; pass a text file, a JSONL file or a folder.", path);
        }

        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            return LoadJsonl(path, codec);
        }

        return [Encode(File.ReadAllText(path), codec, path)];
    }

    private static int[][] LoadJsonl(string path, ITokenCodec? codec)
    {
        var docs = new List<int[]>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            string where = $"{path}:{lineNumber}";
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.String)
            {
                docs.Add(Encode(root.GetString()!, codec, where));
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("ids", out var ids) && ids.ValueKind == JsonValueKind.Array)
            {
                docs.Add(ids.EnumerateArray().Select(e => e.GetInt32()).ToArray());
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                docs.Add(Encode(text.GetString()!, codec, where));
            }
            else
            {
                throw new InvalidDataException($"{where}: expected a JSON string, {{\"text\": \"…\"}} or {{\"ids\": [..]}}.");
            }
        }

        return [.. docs];
    }

    private static int[] Encode(string text, ITokenCodec? codec, string where)
    {
        if (codec is null)
        {
            throw new InvalidDataException($"{where}: text needs the model's tokenizer; pass a model with tokenizer.json or pre-tokenised JSONL ({{\"ids\": [..]}}).");
        }

        return [.. codec.Encode(text, addSpecialTokens: false)];
    }
}
