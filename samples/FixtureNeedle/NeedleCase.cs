using System.Text.Json;

namespace FixtureNeedle;

/// <summary>One needle-in-a-haystack prompt from the fixture model's evaluation set (<c>eval/needle.jsonl</c>).</summary>
internal sealed record NeedleCase(string Prompt, string Answer, int Length, double Depth)
{
    /// <summary>The case of the given context length and depth (0 = needle first, 1 = last), or the first one.</summary>
    /// <exception cref="FileNotFoundException">The model has no evaluation set.</exception>
    public static NeedleCase Load(string path, int length, double depth)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} not found: the fixture model's needle evaluation set (written by tools/fixtures/train_fixture.py) is missing.", path);
        }

        NeedleCase? first = null;
        foreach (string line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            // JsonDocument reads without reflection, so this stays trim- and AOT-safe.
            using JsonDocument json = JsonDocument.Parse(line);
            JsonElement root = json.RootElement;
            var current = new NeedleCase(
                root.GetProperty("prompt").GetString() ?? string.Empty,
                root.GetProperty("answer").GetString() ?? string.Empty,
                root.GetProperty("length").GetInt32(),
                root.GetProperty("depth").GetDouble());
            first ??= current;
            if (current.Length == length && Math.Abs(current.Depth - depth) < 1e-9)
            {
                return current;
            }
        }

        return first ?? throw new InvalidDataException($"{path} has no needle prompts.");
    }
}
