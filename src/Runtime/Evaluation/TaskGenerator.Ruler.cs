using System.Text;
using System.Text.RegularExpressions;

namespace UNComp.Runtime.Evaluation;

/// <summary>
/// The free-text needle and the RULER-style tasks (Hsieh et al., 2024): multi-value and multi-query needles,
/// variable tracking and common-word extraction, built from the held-out haystack with the templates of
/// <see cref="TaskTemplates"/> (the same strings as <c>tools/evalmodel/tasks.py</c>, which trains on them).
/// Answers are random digits, letters or word pairs, so a model can only copy them from the prompt.
/// </summary>
public sealed partial class TaskGenerator
{
    private string[]? _vocabulary;

    /// <summary>Distinct lower-case words (4–10 letters) that occur at least twice in the haystack, in first-seen order.</summary>
    public IReadOnlyList<string> HaystackVocabulary => _vocabulary ??= BuildVocabulary(_haystack);

    /// <summary>A needle whose answer is free text: random words (70 %), letters (15 %) or digits (15 %).</summary>
    public EvalSample TextNeedle(int targetLength, double depth, int index, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var subject = _t.TextNeedleSubjects[random.Next(_t.TextNeedleSubjects.Count)];
        if (subject.Length != 2)
        {
            throw new ArgumentException("TextNeedleSubjects: every entry must be [prefix, question].", nameof(random));
        }

        double kind = random.NextDouble();
        string answer = kind < 0.7 ? RandomWords(random, 2 + random.Next(5))
            : kind < 0.85 ? Letters(random, 4 + random.Next(5))
            : Digits(random, 4 + random.Next(5));
        string needle = _t.TextNeedleSentence.Replace("{prefix}", subject[0], StringComparison.Ordinal).Replace("{answer}", answer, StringComparison.Ordinal);
        string question = _t.TextNeedleQuestion.Replace("{question}", subject[1], StringComparison.Ordinal).Replace("{prefix}", subject[0], StringComparison.Ordinal);
        int start = random.Next(_haystack.Length);
        string Build(int chars) => InsertAtDepths(Haystack(start, chars), [(depth, needle)]) + question;
        return new EvalSample(EvalTask.TextNeedle, index, targetLength, depth, Fit(Build, targetLength), answer);
    }

    /// <summary>RULER multi-value: one <c>word-word</c> key with <see cref="TaskTemplates.MultiValueValues"/> values at random depths.</summary>
    public EvalSample MultiValue(int targetLength, int index, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        string key = WordKey(random);
        var values = Enumerable.Range(0, Math.Max(1, _t.MultiValueValues)).Select(_ => Digits(random, _t.MultiValueDigits)).ToArray();
        var depths = values.Select(_ => random.NextDouble()).Order().ToArray();
        var sentences = values.Select((v, i) => (depths[i], Fill(_t.MultiValueSentence, ("{key}", key), ("{value}", v)))).ToArray();
        string question = Fill(_t.MultiValueQuestion, ("{key}", key));
        int start = random.Next(_haystack.Length);
        string Build(int chars) => InsertAtDepths(Haystack(start, chars), sentences) + question;
        return new EvalSample(EvalTask.MultiValue, index, targetLength, depths[0], Fit(Build, targetLength), string.Join(", ", values)) { Items = values };
    }

    /// <summary>RULER multi-query: <see cref="TaskTemplates.MultiQueryKeys"/> keys with one value each; <see cref="TaskTemplates.MultiQueryQueries"/> are asked for.</summary>
    public EvalSample MultiQuery(int targetLength, int index, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        int count = Math.Max(1, _t.MultiQueryKeys);
        var keys = new List<string>();
        while (keys.Count < count)
        {
            string k = WordKey(random);
            if (!keys.Contains(k))
            {
                keys.Add(k);
            }
        }

        var values = keys.Select(_ => Digits(random, _t.MultiValueDigits)).ToArray();
        var depths = keys.Select(_ => random.NextDouble()).ToArray();
        var asked = Enumerable.Range(0, count).OrderBy(_ => random.Next()).Take(Math.Clamp(_t.MultiQueryQueries, 1, count)).Order().ToArray();
        var sentences = keys.Select((k, i) => (depths[i], Fill(_t.MultiValueSentence, ("{key}", k), ("{value}", values[i])))).ToArray();
        string question = Fill(_t.MultiQueryQuestion, ("{keys}", string.Join(" and ", asked.Select(i => keys[i]))));
        int start = random.Next(_haystack.Length);
        string Build(int chars) => InsertAtDepths(Haystack(start, chars), sentences) + question;
        string[] expected = [.. asked.Select(i => values[i])];
        return new EvalSample(EvalTask.MultiQuery, index, targetLength, depths[asked[0]], Fit(Build, targetLength), string.Join(", ", expected)) { Items = expected };
    }

    /// <summary>
    /// RULER variable tracking: <see cref="TaskTemplates.VariableChains"/> chains of 1 + <see cref="TaskTemplates.VariableHops"/>
    /// assignments (five-letter names, assignments of a chain in order of depth); the first chain's names are asked for.
    /// </summary>
    public EvalSample VariableTracking(int targetLength, int index, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var values = new List<string>();
        var pieces = new List<(double, string)>();
        string[] asked = [];
        for (int c = 0; c < Math.Max(1, _t.VariableChains); c++)
        {
            var chain = new List<string>();
            while (chain.Count < Math.Max(0, _t.VariableHops) + 1)
            {
                string n = Letters(random, 5);
                if (names.Add(n))
                {
                    chain.Add(n);
                }
            }

            string value;
            do
            {
                value = Digits(random, _t.VariableDigits);
            }
            while (values.Contains(value));
            values.Add(value);
            var depths = chain.Select(_ => random.NextDouble()).Order().ToArray();
            pieces.Add((depths[0], Fill(_t.VariableFirst, ("{name}", chain[0]), ("{value}", value))));
            for (int i = 1; i < chain.Count; i++)
            {
                pieces.Add((depths[i], Fill(_t.VariableNext, ("{name}", chain[i]), ("{prev}", chain[i - 1]))));
            }

            if (c == 0)
            {
                asked = [.. chain];
            }
        }

        string question = Fill(_t.VariableQuestion, ("{value}", values[0]));
        int start = random.Next(_haystack.Length);
        string Build(int chars) => InsertAtDepths(Haystack(start, chars), pieces) + question;
        return new EvalSample(EvalTask.VariableTracking, index, targetLength, pieces[0].Item1, Fit(Build, targetLength), string.Join(" ", asked)) { Items = asked };
    }

    /// <summary>
    /// RULER common-word extraction: a numbered list of haystack words in which <see cref="TaskTemplates.CommonWordsCount"/>
    /// words occur <see cref="TaskTemplates.CommonWordsFrequency"/> times and every other word
    /// <see cref="TaskTemplates.RareWordsFrequency"/> times; the list length sets the prompt length.
    /// </summary>
    public EvalSample CommonWords(int targetLength, int index, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var vocabulary = HaystackVocabulary;
        int common = Math.Max(1, _t.CommonWordsCount);
        int rareFrequency = Math.Max(1, _t.RareWordsFrequency);
        if (vocabulary.Count < common + 1)
        {
            throw new ArgumentException($"the haystack has {vocabulary.Count} distinct recurring words; the common-word task needs more than {common}.", nameof(random));
        }

        int seed = random.Next();
        string[] top = [];
        string Build(int chars)
        {
            // A fresh generator per attempt: the list for a given length is the same every time it is built.
            var r = new Random(seed);
            int lines = chars / 10; // about "123. word\n" per line
            int frequency = Math.Max(2, Math.Min(_t.CommonWordsFrequency, lines / (2 * common)));
            int rare = Math.Clamp((lines - (common * frequency)) / rareFrequency, 1, vocabulary.Count - common);
            var words = vocabulary.OrderBy(_ => r.Next()).Take(common + rare).ToArray();
            var items = new List<string>();
            for (int i = 0; i < words.Length; i++)
            {
                items.AddRange(Enumerable.Repeat(words[i], i < common ? frequency : rareFrequency));
            }

            var list = items.OrderBy(_ => r.Next()).ToList();
            top = [.. words.Take(common).OrderBy(list.IndexOf)];
            var sb = new StringBuilder(_t.CommonWordsIntro);
            for (int i = 0; i < list.Count; i++)
            {
                sb.Append(Fill(_t.CommonWordsLine, ("{n}", (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)), ("{word}", list[i])));
            }

            return sb.Append(Fill(_t.CommonWordsQuestion, ("{count}", common.ToString(System.Globalization.CultureInfo.InvariantCulture)))).ToString();
        }

        int[] tokens = Fit(Build, targetLength);
        return new EvalSample(EvalTask.CommonWords, index, targetLength, 0, tokens, string.Join(" ", top)) { Items = top };
    }

    private static string Fill(string template, params (string Name, string Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            template = template.Replace(name, value, StringComparison.Ordinal);
        }

        return template;
    }

    private string WordKey(Random random) => _t.KeyWords[random.Next(_t.KeyWords.Count)] + "-" + _t.KeyWords[random.Next(_t.KeyWords.Count)];

    private string RandomWords(Random random, int count) => string.Join(' ', Enumerable.Range(0, count).Select(_ => _t.KeyWords[random.Next(_t.KeyWords.Count)]));

    private static string Letters(Random random, int count) => new([.. Enumerable.Range(0, count).Select(_ => (char)('A' + random.Next(26)))]);

    private static string[] BuildVocabulary(string text)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (Match m in WordPattern().Matches(text))
        {
            if (counts.TryGetValue(m.Value, out int c))
            {
                counts[m.Value] = c + 1;
            }
            else
            {
                counts[m.Value] = 1;
                order.Add(m.Value);
            }
        }

        return [.. order.Where(w => counts[w] >= 2)];
    }

    [GeneratedRegex(@"\b[a-z]{4,10}\b", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();
}
