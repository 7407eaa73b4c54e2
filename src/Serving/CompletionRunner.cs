using System.Runtime.CompilerServices;
using UNComp.Runtime.Generation;

namespace UNComp.Serving;

/// <summary>One generation as the endpoints need it: prompt ids, token limit, sampling and stop sequences.</summary>
internal sealed record GenerationRequest(int[] PromptIds, int MaxTokens, SamplingOptions Sampling, IReadOnlyList<string> Stop);

/// <summary>What a finished generation reports: why it stopped and its token counts.</summary>
internal sealed class GenerationOutcome
{
    /// <summary>"stop" (eos token or stop sequence) or "length" (max_tokens or context).</summary>
    public string FinishReason { get; set; } = "length";

    public int PromptTokens { get; set; }

    public int CompletionTokens { get; set; }
}

/// <summary>
/// Runs a generation and yields the text as it becomes final: text that might be the start of a stop sequence, or an
/// incomplete UTF-8 character, is held back until the next token decides; a stop sequence ends the output before it.
/// </summary>
internal static class CompletionRunner
{
    public static async IAsyncEnumerable<string> RunAsync(ServedModel served, GenerationRequest request, GenerationOutcome outcome,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var defaults = served.Defaults;
        var start = served.ParamsForRequest?.Invoke(request.PromptIds.Length, request.MaxTokens) ?? defaults;
        var eos = defaults.EosTokenIds ?? served.Model.GenerationConfig.EosTokenIds;
        var p = start with
        {
            MaxNewTokens = request.MaxTokens,
            Sampling = request.Sampling,
            MaxLength = start.MaxLength ?? request.PromptIds.Length + request.MaxTokens,
            EosTokenIds = eos,
        };
        outcome.PromptTokens = request.PromptIds.Length;
        using var generator = new Generator(served.Model, p);
        var generated = new List<int>();
        int emitted = 0;
        string text = string.Empty;
        bool stopped = false;
        await foreach (int token in generator.GenerateAsync(request.PromptIds, cancellationToken).ConfigureAwait(false))
        {
            generated.Add(token);
            outcome.CompletionTokens = generated.Count;
            text = served.Codec.Decode(generated, skipSpecialTokens: true);
            int ready = text.Length;
            int stopAt = FindStop(text, request.Stop, Math.Max(0, emitted - MaxLength(request.Stop)));
            if (stopAt >= 0)
            {
                ready = stopAt;
                stopped = true;
            }
            else
            {
                ready -= HeldBack(text, request.Stop);
                if (ready > 0 && text[ready - 1] == '\uFFFD')
                {
                    ready--;
                }
            }

            if (ready > emitted)
            {
                yield return text[emitted..ready];
                emitted = ready;
            }

            if (stopped)
            {
                break;
            }
        }

        if (!stopped && text.Length > emitted)
        {
            yield return text[emitted..];
        }

        outcome.FinishReason = stopped || (generated.Count > 0 && eos.Contains(generated[^1])) ? "stop" : "length";
    }

    private static int MaxLength(IReadOnlyList<string> stops) => stops.Count == 0 ? 0 : stops.Max(s => s.Length);

    /// <summary>The earliest index where a stop sequence starts, or -1.</summary>
    internal static int FindStop(string text, IReadOnlyList<string> stops, int from)
    {
        int best = -1;
        foreach (var stop in stops)
        {
            int i = text.IndexOf(stop, from, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>How many trailing characters could still grow into a stop sequence.</summary>
    internal static int HeldBack(string text, IReadOnlyList<string> stops)
    {
        int held = 0;
        foreach (var stop in stops)
        {
            for (int k = Math.Min(stop.Length - 1, text.Length); k > held; k--)
            {
                if (text.AsSpan(text.Length - k).SequenceEqual(stop.AsSpan(0, k)))
                {
                    held = k;
                    break;
                }
            }
        }

        return held;
    }
}
