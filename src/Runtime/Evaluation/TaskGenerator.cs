using System.Text;
using UNComp.Runtime.Generation;

namespace UNComp.Runtime.Evaluation;

/// <summary>
/// Builds seeded retrieval prompts of a target token length: text is assembled from the templates and the
/// haystack, then the haystack length is adjusted until the encoded prompt is within 1% (at least 2 tokens) of
/// the target. The prompt is encoded in one piece, as the model saw text in training.
/// </summary>
public sealed partial class TaskGenerator
{
    private readonly ITokenCodec _codec;
    private readonly string _haystack;
    private readonly TaskTemplates _t;

    /// <summary>Creates a generator.</summary>
    /// <param name="codec">The model's tokenizer.</param>
    /// <param name="haystack">Real text for the needle and multi-key haystacks (e.g. models/fixture-llama/haystack.txt).</param>
    /// <param name="templates">Prompt templates.</param>
    public TaskGenerator(ITokenCodec codec, string haystack, TaskTemplates templates)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(templates);
        if (string.IsNullOrWhiteSpace(haystack) || haystack.Length < 200)
        {
            throw new ArgumentException("the haystack text is empty or shorter than 200 characters; pass the model's haystack.txt.", nameof(haystack));
        }

        _codec = codec;
        _haystack = haystack.Replace("\r\n", "\n", StringComparison.Ordinal);
        _t = templates;
    }

    /// <summary>A passkey prompt: the key sentence at <paramref name="depth"/> of the filler.</summary>
    public EvalSample Passkey(int targetLength, double depth, int index, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        string key = Digits(random, _t.PasskeyDigits);
        string needle = _t.PasskeyNeedle.Replace("{key}", key, StringComparison.Ordinal);
        string Build(int fillerChars)
        {
            string filler = Repeat(_t.PasskeyFiller, fillerChars);
            // The needle goes between whole filler sentences (the training prompts join pieces by single spaces).
            int units = filler.Length / _t.PasskeyFiller.Length;
            int at = (int)Math.Round(depth * units) * _t.PasskeyFiller.Length;
            return _t.PasskeyIntro + filler[..at] + needle + filler[at..] + _t.PasskeyQuestion;
        }

        return new EvalSample(EvalTask.Passkey, index, targetLength, depth, Fit(Build, targetLength), key);
    }

    /// <summary>A needle-in-a-haystack prompt with the needle at <paramref name="depth"/> of the haystack.</summary>
    public EvalSample Needle(int targetLength, double depth, int index, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        string city = _t.NeedleCities[random.Next(_t.NeedleCities.Count)];
        string number = Digits(random, _t.NeedleDigits);
        string needle = _t.NeedleSentence.Replace("{city}", city, StringComparison.Ordinal).Replace("{number}", number, StringComparison.Ordinal);
        string question = _t.NeedleQuestion.Replace("{city}", city, StringComparison.Ordinal);
        int start = random.Next(_haystack.Length);
        string Build(int chars)
        {
            string hay = Haystack(start, chars);
            int at = SnapToLine(hay, (int)Math.Round(depth * hay.Length));
            return _t.NeedleIntro + hay[..at] + needle + hay[at..] + question;
        }

        return new EvalSample(EvalTask.Needle, index, targetLength, depth, Fit(Build, targetLength), number);
    }

    /// <summary>A multi-key prompt: several key/value sentences at random depths; one key is asked for.</summary>
    public EvalSample MultiKey(int targetLength, int index, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        int pairs = Math.Max(1, _t.MultiKeyPairs);
        var keys = new List<string>();
        while (keys.Count < pairs)
        {
            string k = Digits(random, _t.MultiKeyKeyDigits);
            if (!keys.Contains(k))
            {
                keys.Add(k);
            }
        }

        var values = keys.Select(_ => Digits(random, _t.MultiKeyDigits)).ToArray();
        var depths = keys.Select(_ => random.NextDouble()).ToArray();
        int asked = random.Next(pairs);
        int start = random.Next(_haystack.Length);
        string question = _t.MultiKeyQuestion.Replace("{key}", keys[asked], StringComparison.Ordinal);
        var sentences = Enumerable.Range(0, pairs)
            .Select(i => (depths[i], _t.MultiKeySentence.Replace("{key}", keys[i], StringComparison.Ordinal).Replace("{value}", values[i], StringComparison.Ordinal)))
            .ToArray();
        string Build(int chars) => _t.MultiKeyIntro + InsertAtDepths(Haystack(start, chars), sentences) + question;

        return new EvalSample(EvalTask.MultiKey, index, targetLength, depths[asked], Fit(Build, targetLength), values[asked]);
    }

    private int[] Fit(Func<int, string> build, int targetLength)
    {
        int chars = Math.Max(16, targetLength * 3);
        int[] best = [];
        int bestError = int.MaxValue;
        int tolerance = Math.Max(2, targetLength / 100);
        for (int iteration = 0; iteration < 8; iteration++)
        {
            int[] ids = [.. _codec.Encode(build(chars), addSpecialTokens: true)];
            int error = Math.Abs(ids.Length - targetLength);
            if (error < bestError && ids.Length <= targetLength + tolerance)
            {
                best = ids;
                bestError = error;
            }

            if (error <= tolerance)
            {
                break;
            }

            // The fixed parts do not scale with the haystack, so step on the haystack's share only.
            int fixedTokens = _codec.Encode(build(0), addSpecialTokens: true).Count;
            double perChar = Math.Max(1e-3, (ids.Length - fixedTokens) / (double)Math.Max(1, chars));
            chars = Math.Max(0, (int)Math.Round(chars + ((targetLength - ids.Length) / perChar)));
        }

        return best.Length > 0 ? best : [.. _codec.Encode(build(0), addSpecialTokens: true)];
    }

    // Each text goes to the line start nearest its depth; texts at the same line keep their order.
    private static string InsertAtDepths(string hay, IReadOnlyList<(double Depth, string Text)> pieces)
    {
        var inserts = pieces
            .Select((p, i) => (At: SnapToLine(hay, (int)Math.Round(p.Depth * hay.Length)), I: i))
            .OrderBy(p => p.At).ThenBy(p => p.I).ToArray();
        var sb = new StringBuilder(hay.Length + pieces.Sum(p => p.Text.Length));
        int prev = 0;
        foreach (var (at, i) in inserts)
        {
            sb.Append(hay, prev, at - prev).Append(pieces[i].Text);
            prev = at;
        }

        return sb.Append(hay, prev, hay.Length - prev).ToString();
    }

    private string Haystack(int start, int chars)
    {
        var sb = new StringBuilder(chars + 256);
        int lineStart = _haystack.LastIndexOf('\n', Math.Min(start, _haystack.Length - 1));
        int i = lineStart < 0 ? 0 : lineStart + 1;
        while (sb.Length < chars)
        {
            int take = Math.Min(chars - sb.Length, _haystack.Length - i);
            sb.Append(_haystack, i, take);
            i = (i + take) % _haystack.Length;
            if (i == 0 && sb.Length < chars && sb[^1] != '\n')
            {
                sb.Append('\n');
            }
        }

        return SnapEnd(sb.ToString());
    }

    private static string Repeat(string unit, int chars)
    {
        // Whole repetitions only, so the filler never ends mid-sentence.
        var sb = new StringBuilder(chars + unit.Length);
        while (sb.Length + unit.Length <= chars)
        {
            sb.Append(unit);
        }

        return sb.ToString();
    }

    // Cut a haystack after its last complete line so no sentence is cut in half.
    private static string SnapEnd(string text)
    {
        int nl = text.LastIndexOf('\n');
        return nl > text.Length / 2 ? text[..(nl + 1)] : text;
    }

    // The nearest line start at or after index (or the end), so inserted sentences begin lines.
    private static int SnapToLine(string text, int index)
    {
        index = Math.Clamp(index, 0, text.Length);
        if (index == 0 || index == text.Length)
        {
            return index;
        }

        int nl = text.IndexOf('\n', index - 1);
        return nl < 0 ? text.Length : nl + 1;
    }

    private static string Digits(Random random, int count)
    {
        var sb = new StringBuilder(count);
        sb.Append((char)('1' + random.Next(9)));
        for (int i = 1; i < count; i++)
        {
            sb.Append((char)('0' + random.Next(10)));
        }

        return sb.ToString();
    }
}
