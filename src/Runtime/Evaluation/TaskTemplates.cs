namespace UNComp.Runtime.Evaluation;

/// <summary>
/// Prompt templates of the retrieval tasks. Placeholders: <c>{key}</c>, <c>{value}</c>, <c>{city}</c>,
/// <c>{number}</c>, <c>{haystack}</c> (before, filled by the generator) and <c>{question}</c>. The defaults follow
/// the fixture model's card (models/fixture-llama/README.md); a model trained on other wording passes its own.
/// </summary>
public sealed record TaskTemplates
{
    /// <summary>Text before the passkey haystack.</summary>
    public string PasskeyIntro { get; init; } = "There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. I will quiz you about the important information there. ";

    /// <summary>Filler sentence(s) repeated around the pass key.</summary>
    public string PasskeyFiller { get; init; } = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. ";

    /// <summary>The pass key sentence; {key} is the answer.</summary>
    public string PasskeyNeedle { get; init; } = "The pass key is {key}. Remember it. {key} is the pass key. ";

    /// <summary>The question after the haystack; the model continues with the key.</summary>
    public string PasskeyQuestion { get; init; } = "What is the pass key? The pass key is";

    /// <summary>Digits in a pass key.</summary>
    public int PasskeyDigits { get; init; } = 5;

    /// <summary>Text before the needle haystack.</summary>
    public string NeedleIntro { get; init; } = string.Empty;

    /// <summary>The needle sentence.</summary>
    public string NeedleSentence { get; init; } = "The special magic {city} number is {number}.\n\n";

    /// <summary>The needle question.</summary>
    public string NeedleQuestion { get; init; } = "\nQuestion: What is the special magic {city} number?\nAnswer: The special magic {city} number is";

    /// <summary>Digits of the needle number.</summary>
    public int NeedleDigits { get; init; } = 7;

    /// <summary>Names the needle is about (one drawn per sample).</summary>
    public IReadOnlyList<string> NeedleCities { get; init; } =
    [
        "Paris", "Tokyo", "Lima", "Oslo", "Cairo", "Dublin", "Quito", "Hanoi", "Nairobi", "Lisbon", "Ottawa", "Madrid",
        "Berlin", "Vienna", "Prague", "Athens", "Havana", "Manila", "Seoul", "Santiago",
    ];

    /// <summary>Text before the multi-key haystack.</summary>
    public string MultiKeyIntro { get; init; } = string.Empty;

    /// <summary>One key/value sentence.</summary>
    public string MultiKeySentence { get; init; } = "The value of key {key} is {value}.\n\n";

    /// <summary>The multi-key question.</summary>
    public string MultiKeyQuestion { get; init; } = "\nQuestion: What is the value of key {key}?\nAnswer: The value of key {key} is";

    /// <summary>Key/value sentences per prompt.</summary>
    public int MultiKeyPairs { get; init; } = 4;

    /// <summary>Digits of a key (the fixture was trained on 4-digit keys).</summary>
    public int MultiKeyKeyDigits { get; init; } = 4;

    /// <summary>Digits of a value.</summary>
    public int MultiKeyDigits { get; init; } = 5;

    /// <summary>The built-in templates.</summary>
    public static TaskTemplates Default { get; } = new();
}
