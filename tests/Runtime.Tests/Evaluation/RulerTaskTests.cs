using System.Text.RegularExpressions;
using UNComp.Runtime.Evaluation;

namespace UNComp.Runtime.Tests.Evaluation;

public class RulerTaskTests
{
    // 216 distinct six-letter words (three syllables), each used several times: enough vocabulary for long word lists.
    private static readonly string[] Words = [.. from a in Syllables from b in Syllables from c in Syllables select a + b + c];

    private static readonly string Haystack = string.Join('\n', Enumerable.Range(0, 600).Select(i =>
        $"Line {i} tells how the {Words[i % Words.Length]} and the {Words[(i * 7) % Words.Length]} went walking."));

    private static string[] Syllables => ["ba", "ko", "ri", "mu", "te", "lo"];

    private static TaskGenerator Generator() => new(new AsciiCodec(), Haystack, TaskTemplates.Default);

    public static TheoryData<string, int> TasksAndLengths() => new()
    {
        { "textneedle", 700 }, { "multivalue", 700 }, { "multiquery", 700 }, { "vartrack", 700 }, { "commonwords", 700 },
        { "multivalue", 2000 }, { "vartrack", 2000 }, { "commonwords", 2000 },
    };

    private static EvalSample Make(TaskGenerator g, string task, int length, int seed) => task switch
    {
        "textneedle" => g.TextNeedle(length, 0.4, 0, new Random(seed)),
        "multivalue" => g.MultiValue(length, 0, new Random(seed)),
        "multiquery" => g.MultiQuery(length, 0, new Random(seed)),
        "vartrack" => g.VariableTracking(length, 0, new Random(seed)),
        _ => g.CommonWords(length, 0, new Random(seed)),
    };

    [Theory]
    [MemberData(nameof(TasksAndLengths))]
    public void Generator_RulerTask_HitsTargetLengthAndHoldsEveryAnswerItem(string task, int length)
    {
        var sample = Make(Generator(), task, length, 11);
        Assert.InRange(sample.Tokens.Length, length - Math.Max(2, length / 100) - 40, length + Math.Max(2, length / 100));
        string text = new AsciiCodec().Decode(sample.Tokens, true);
        var items = sample.Items.Count > 0 ? sample.Items : [sample.Answer];
        int question = text.LastIndexOf("Question:", StringComparison.Ordinal);
        Assert.True(question > text.Length / 2, "the question closes the prompt");
        foreach (string item in items)
        {
            Assert.True(AnswerScoring.ContainsWord(text[..question], item), $"{task}: '{item}' is in the context");
        }
    }

    [Fact]
    public void MultiValue_ValuesAppearInAnswerOrderUnderOneKey()
    {
        var sample = Generator().MultiValue(1200, 0, new Random(5));
        string text = new AsciiCodec().Decode(sample.Tokens, true);
        var lines = Regex.Matches(text, @"One of the special magic numbers for ([a-z]+-[a-z]+) is: ([0-9]{7})\.").ToList();
        Assert.Equal(4, lines.Count);
        Assert.Single(lines.Select(m => m.Groups[1].Value).Distinct());
        Assert.Equal(sample.Items, lines.Select(m => m.Groups[2].Value));
        Assert.Equal(string.Join(", ", sample.Items), sample.Answer);
        Assert.EndsWith($"Answer: The special magic numbers for {lines[0].Groups[1].Value} are:", text, StringComparison.Ordinal);
    }

    [Fact]
    public void MultiQuery_AsksForTwoOfFourKeysAndExpectsTheirValues()
    {
        var sample = Generator().MultiQuery(1200, 0, new Random(8));
        string text = new AsciiCodec().Decode(sample.Tokens, true);
        var pairs = Regex.Matches(text, @"numbers for ([a-z]+-[a-z]+) is: ([0-9]{7})\.").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(4, pairs.Count);
        var asked = Regex.Match(text, @"Answer: The special magic numbers for ([a-z]+-[a-z]+) and ([a-z]+-[a-z]+) are:$");
        Assert.True(asked.Success);
        Assert.Equal([pairs[asked.Groups[1].Value], pairs[asked.Groups[2].Value]], sample.Items);
    }

    [Fact]
    public void VariableTracking_AskedChainIsInOrderAndDistractorHasAnotherValue()
    {
        var sample = Generator().VariableTracking(1500, 0, new Random(3));
        string text = new AsciiCodec().Decode(sample.Tokens, true);
        Assert.Equal(5, sample.Items.Count);
        string value = Regex.Match(text, @"assigned the value ([0-9]+) are:$").Groups[1].Value;
        Assert.Contains($"VAR {sample.Items[0]} = {value}.", text, StringComparison.Ordinal);
        int previous = text.IndexOf($"VAR {sample.Items[0]} = ", StringComparison.Ordinal);
        for (int i = 1; i < sample.Items.Count; i++)
        {
            int at = text.IndexOf($"VAR {sample.Items[i]} = VAR {sample.Items[i - 1]}.", StringComparison.Ordinal);
            Assert.True(at > previous, $"hop {i} follows hop {i - 1}");
            previous = at;
        }

        var firsts = Regex.Matches(text, @"VAR ([A-Z]{5}) = ([0-9]+)\.").ToList();
        Assert.Equal(2, firsts.Count);
        Assert.Single(firsts, m => m.Groups[2].Value == value);
        Assert.Equal(10, Regex.Count(text, @"VAR [A-Z]{5} = "));
    }

    [Fact]
    public void CommonWords_CommonWordsAreExactlyTheMostFrequentListEntries()
    {
        var g = Generator();
        var sample = g.CommonWords(2500, 0, new Random(4));
        string text = new AsciiCodec().Decode(sample.Tokens, true);
        var counts = Regex.Matches(text, @"^[0-9]+\. ([a-z]+)$", RegexOptions.Multiline).GroupBy(m => m.Groups[1].Value).ToDictionary(x => x.Key, x => x.Count());
        Assert.Equal(3, sample.Items.Count);
        int frequency = counts[sample.Items[0]];
        Assert.InRange(frequency, 2, TaskTemplates.Default.CommonWordsFrequency);
        Assert.All(sample.Items, w => Assert.Equal(frequency, counts[w]));
        Assert.All(counts.Where(c => !sample.Items.Contains(c.Key)), c => Assert.Equal(TaskTemplates.Default.RareWordsFrequency, c.Value));
        Assert.All(counts.Keys, w => Assert.Contains(w, g.HaystackVocabulary));
    }

    [Theory]
    [InlineData("textneedle")]
    [InlineData("multivalue")]
    [InlineData("multiquery")]
    [InlineData("vartrack")]
    [InlineData("commonwords")]
    public void Generator_RulerTask_SameSeedSamePrompt_OtherSeedOtherPrompt(string task)
    {
        var a = Make(Generator(), task, 800, 21);
        var b = Make(Generator(), task, 800, 21);
        var c = Make(Generator(), task, 800, 22);
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.Equal(a.Answer, b.Answer);
        Assert.NotEqual(a.Answer, c.Answer);
    }

    [Theory]
    [InlineData(EvalTask.MultiValue, " 1234567, 7654321, 1111111.", true)]
    [InlineData(EvalTask.MultiValue, " 1234567, 7654321.", false)]
    [InlineData(EvalTask.MultiValue, " 1234567, 76543210, 1111111.", false)]
    [InlineData(EvalTask.MultiValue, " 1234567, 7654321\n1111111", false)]
    public void Scoring_MultiItem_NeedsEveryItemAsAWholeWordOnTheFirstLine(EvalTask task, string output, bool expected)
    {
        var sample = new EvalSample(task, 0, 100, 0, [], "1234567, 7654321, 1111111") { Items = ["1234567", "7654321", "1111111"] };
        Assert.Equal(expected, AnswerScoring.IsCorrect(sample, output));
    }

    [Theory]
    [InlineData(" iron spinach.", true)]
    [InlineData(" iron spinach", true)]
    [InlineData(" iron spinachy.", false)]
    [InlineData(" iron.", false)]
    public void Scoring_TextNeedle_StartsWithTheAnswerNotFollowedByALetter(string output, bool expected) =>
        Assert.Equal(expected, AnswerScoring.IsCorrect(new EvalSample(EvalTask.TextNeedle, 0, 100, 0, [], "iron spinach"), output));

    [Theory]
    [InlineData("passkey", EvalTask.Passkey)]
    [InlineData("multi-key", EvalTask.MultiKey)]
    [InlineData("vartrack", EvalTask.VariableTracking)]
    [InlineData("VariableTracking", EvalTask.VariableTracking)]
    [InlineData("common_words", EvalTask.CommonWords)]
    public void ParseTask_AcceptsReportNamesAndEnumNames(string name, EvalTask task) => Assert.Equal(task, EvalRunner.ParseTask(name));
}
