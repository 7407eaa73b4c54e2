namespace FixtureNeedle;

/// <summary>
/// The fixture model's needle task in its passkey form (tools/fixtures/fixture_tasks.py): a key sentence hidden at
/// a given depth of repeated filler text, then the question. The model must continue with the key.
/// </summary>
internal sealed record PasskeyPrompt(string Text, string Answer, double Depth)
{
    private const string Header = "There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. I will quiz you about the important information there.";
    private const string Filler = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
    private const string Question = "What is the pass key? The pass key is";

    /// <summary><paramref name="fillers"/> filler sentences in all, the key after <paramref name="depth"/> of them.</summary>
    public static PasskeyPrompt Create(string key, int fillers, double depth)
    {
        int before = (int)Math.Round(fillers * depth);
        var parts = new List<string> { Header };
        parts.AddRange(Enumerable.Repeat(Filler, before));
        parts.Add($"The pass key is {key}. Remember it. {key} is the pass key.");
        parts.AddRange(Enumerable.Repeat(Filler, fillers - before));
        parts.Add(Question);
        return new PasskeyPrompt(string.Join(' ', parts), key, depth);
    }
}
