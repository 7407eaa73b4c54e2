using System.Runtime.CompilerServices;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Serving;

namespace UNComp.Serving;

/// <summary>
/// One generation as the endpoints need it: prompt ids, token limit, sampling and stop sequences; with
/// <paramref name="ParseToolCalls"/> the reply is decoded with special tokens kept (tool-call markers) for the parser.
/// </summary>
internal sealed record GenerationRequest(int[] PromptIds, int MaxTokens, SamplingOptions Sampling, IReadOnlyList<string> Stop, bool ParseToolCalls = false);

/// <summary>What a finished generation reports: why it stopped and its token counts.</summary>
internal sealed class GenerationOutcome
{
    /// <summary>"stop" (eos token or stop sequence), "length" (max_tokens or context) or "tool_calls".</summary>
    public string FinishReason { get; set; } = "length";

    public int PromptTokens { get; set; }

    public int CompletionTokens { get; set; }
}

/// <summary>
/// Reads a scheduled generation and yields the text as it becomes final: text that might be the start of a stop
/// sequence, or an incomplete UTF-8 character, is held back until the next token decides; a stop sequence ends the
/// output before it (and cancels the generation, freeing its slot).
/// </summary>
internal static class CompletionRunner
{
    public static async IAsyncEnumerable<string> RunAsync(ServedModel served, ScheduledGeneration generation, GenerationRequest request, GenerationOutcome outcome,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var eos = generation.Request.EosTokenIds;
        outcome.PromptTokens = request.PromptIds.Length;
        var generated = new List<int>();
        var visible = new List<int>();
        int emitted = 0;
        string text = string.Empty;
        bool stopped = false;
        await foreach (int token in generation.ReadTokensAsync(cancellationToken).ConfigureAwait(false))
        {
            generated.Add(token);
            outcome.CompletionTokens = generated.Count;
            if (!request.ParseToolCalls || !eos.Contains(token))
            {
                visible.Add(token);
            }

            text = served.Codec.Decode(visible, skipSpecialTokens: !request.ParseToolCalls);
            int ready = text.Length;
            int stopAt = FindStop(text, request.Stop, Math.Max(0, emitted - MaxLength(request.Stop)));
            if (stopAt >= 0)
            {
                ready = stopAt;
                stopped = true;
            }
            else
            {
                ready -= TextMatching.TrailingPrefixLength(text, request.Stop); // might still grow into a stop sequence
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
                generation.Cancel();
                break;
            }
        }

        if (!stopped && text.Length > emitted)
        {
            yield return text[emitted..];
        }

        outcome.FinishReason = stopped || generation.FinishReason == BatchFinishReason.EndOfSequence ? "stop" : "length";
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
}
