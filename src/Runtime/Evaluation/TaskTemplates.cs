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

    /// <summary>The free-text needle sentence: <c>{prefix} {answer}.</c></summary>
    public string TextNeedleSentence { get; init; } = "{prefix} {answer}.\n\n";

    /// <summary>The free-text needle question; the model continues the prefix with the answer.</summary>
    public string TextNeedleQuestion { get; init; } = "\nQuestion: {question}\nAnswer: {prefix}";

    /// <summary>Free-text needle subjects as (sentence prefix, question) pairs, one drawn per sample; none was in the evaluation model's training.</summary>
    public IReadOnlyList<string[]> TextNeedleSubjects { get; init; } =
    [
        ["The best thing to do in San Francisco is", "What is the best thing to do in San Francisco?"],
        ["The secret ingredient in Grandma Rosa's goulash is", "What is the secret ingredient in Grandma Rosa's goulash?"],
        ["The name of the lighthouse keeper's donkey is", "What is the name of the lighthouse keeper's donkey?"],
        ["The best thing to do in Kyoto is", "What is the best thing to do in Kyoto?"],
        ["The motto of the midnight bakery is", "What is the motto of the midnight bakery?"],
    ];

    /// <summary>Words drawn for free-text answers and for the keys of the multi-value and multi-query tasks (<c>word-word</c>).</summary>
    public IReadOnlyList<string> KeyWords { get; init; } =
    [
        "apple", "river", "stone", "garden", "quiet", "yellow", "morning", "window", "silver", "paper", "bread", "music", "bridge", "candle",
        "forest", "garlic", "honey", "lantern", "marble", "orchard", "pepper", "saddle", "thunder", "violet", "walnut", "anchor", "basket", "cedar",
        "donkey", "feather", "glacier", "harbor", "island", "jacket", "kettle", "lemon", "meadow", "needle", "ocean", "pebble", "quilt", "ribbon",
        "shadow", "tulip", "umbrella", "velvet", "wagon", "yarn", "zebra", "amber", "blanket", "copper", "desert", "ember", "fountain", "granite",
        "hammock", "ivory", "jungle", "kiwi", "ladder", "mango", "nutmeg", "olive", "parrot", "quartz", "raven", "saffron", "tiger", "valley",
        "willow", "almond", "biscuit", "cactus", "dragon", "engine", "falcon", "gravel", "hazel", "iron", "jasmine", "koala", "lilac", "maple",
        "nickel", "onion", "pumpkin", "rocket", "spinach", "tomato", "vinegar", "whistle",
    ];

    /// <summary>Multi-value and multi-query sentence (RULER's wording).</summary>
    public string MultiValueSentence { get; init; } = "One of the special magic numbers for {key} is: {value}.\n\n";

    /// <summary>Multi-value question; the answer lists every value in order of appearance, comma separated.</summary>
    public string MultiValueQuestion { get; init; } = "\nQuestion: What are all the special magic numbers for {key} mentioned in the text?\nAnswer: The special magic numbers for {key} are:";

    /// <summary>Multi-query question; <c>{keys}</c> joins the asked keys with " and ".</summary>
    public string MultiQueryQuestion { get; init; } = "\nQuestion: What are all the special magic numbers for {keys} mentioned in the text?\nAnswer: The special magic numbers for {keys} are:";

    /// <summary>Values per multi-value key.</summary>
    public int MultiValueValues { get; init; } = 4;

    /// <summary>Keys of a multi-query prompt.</summary>
    public int MultiQueryKeys { get; init; } = 4;

    /// <summary>Keys asked for in a multi-query prompt.</summary>
    public int MultiQueryQueries { get; init; } = 2;

    /// <summary>Digits of a multi-value / multi-query value.</summary>
    public int MultiValueDigits { get; init; } = 7;

    /// <summary>First assignment of a variable chain.</summary>
    public string VariableFirst { get; init; } = "VAR {name} = {value}.\n\n";

    /// <summary>Every later assignment of a chain.</summary>
    public string VariableNext { get; init; } = "VAR {name} = VAR {prev}.\n\n";

    /// <summary>Variable-tracking question; the answer lists the chain's names in order.</summary>
    public string VariableQuestion { get; init; } = "\nQuestion: Find all variables that are assigned the value {value} in the text above.\nAnswer: The variables assigned the value {value} are:";

    /// <summary>Assignments after the first in each chain.</summary>
    public int VariableHops { get; init; } = 4;

    /// <summary>Chains per prompt; the first is asked for, the others distract.</summary>
    public int VariableChains { get; init; } = 2;

    /// <summary>Digits of a chain's value.</summary>
    public int VariableDigits { get; init; } = 5;

    /// <summary>Text before the common-word list.</summary>
    public string CommonWordsIntro { get; init; } = "Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones that appear most often.\n";

    /// <summary>One list line.</summary>
    public string CommonWordsLine { get; init; } = "{n}. {word}\n";

    /// <summary>The common-word question; the answer lists the common words in order of first appearance.</summary>
    public string CommonWordsQuestion { get; init; } = "Question: What are the {count} most common words in the above list?\nAnswer: The top {count} words that appear most often in the list are:";

    /// <summary>Common words per list.</summary>
    public int CommonWordsCount { get; init; } = 3;

    /// <summary>Occurrences of each common word (fewer when the list is short: at most half the list is common words).</summary>
    public int CommonWordsFrequency { get; init; } = 30;

    /// <summary>Occurrences of each rare word.</summary>
    public int RareWordsFrequency { get; init; } = 3;

    /// <summary>The built-in templates.</summary>
    public static TaskTemplates Default { get; } = new();
}
