using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace UNComp.Runtime.Generation;

/// <summary>Text of an assistant reply split into its plain content and the tool calls it made.</summary>
/// <param name="Content">The reply without its tool calls (trimmed; empty when the reply was only calls).</param>
/// <param name="Calls">The calls in order; empty when the reply holds none (or a malformed one: then <paramref name="Content"/> is the whole text).</param>
public sealed record ParsedToolCalls(string Content, IReadOnlyList<FunctionCallContent> Calls);

/// <summary>
/// Reads the tool calls a chat model writes in its family's format back into <see cref="FunctionCallContent"/>, as
/// vLLM's tool parsers do:
/// <list type="bullet">
/// <item>Qwen2/2.5 and Hermes: <c>&lt;tool_call&gt;{"name": …, "arguments": {…}}&lt;/tool_call&gt;</c>, one block per call, text around them is content;</item>
/// <item>Mistral: <c>[TOOL_CALLS] [{"name": …, "arguments": {…}, "id": …}, …]</c> (and the newer <c>[TOOL_CALLS]name[ARGS]{…}</c>);</item>
/// <item>Llama 3.x: <c>&lt;|python_tag|&gt;{"name": …, "parameters": {…}}</c>, or a reply that is only such JSON objects (separated by <c>;</c>).</item>
/// </list>
/// The text must be decoded with special tokens kept (the markers are special tokens in Llama and Mistral
/// tokenizers) and without the end-of-sequence token. Anything malformed (bad JSON, no name, arguments that are
/// not an object, trailing text after the calls) is not a call: the whole text is returned as content.
/// </summary>
public static class ToolCallParser
{
    /// <summary>Markers that start a tool-call section.</summary>
    public static IReadOnlyList<string> Markers { get; } = [QwenOpen, MistralMarker, LlamaPythonTag];

    private const string QwenOpen = "<tool_call>";
    private const string QwenClose = "</tool_call>";
    private const string MistralMarker = "[TOOL_CALLS]";
    private const string MistralArgs = "[ARGS]";
    private const string LlamaPythonTag = "<|python_tag|>";

    /// <summary>Splits <paramref name="text"/> into content and tool calls (see the class remarks for the formats).</summary>
    public static ParsedToolCalls Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var calls = new List<FunctionCallContent>();
        string? content = text.Contains(QwenOpen, StringComparison.Ordinal) ? ParseQwen(text, calls)
            : text.IndexOf(MistralMarker, StringComparison.Ordinal) is int m and >= 0 ? ParseMistral(text, m, calls)
            : text.IndexOf(LlamaPythonTag, StringComparison.Ordinal) is int p and >= 0 ? ParseLlama(text, p + LlamaPythonTag.Length, text[..p], calls)
            : text.AsSpan().TrimStart().StartsWith("{") ? ParseLlama(text, 0, string.Empty, calls)
            : null;
        return content is null || calls.Count == 0 ? new ParsedToolCalls(text, []) : new ParsedToolCalls(content.Trim(), calls);
    }

    /// <summary>How many trailing characters of <paramref name="text"/> could be the start of a marker (held back while streaming).</summary>
    public static int PartialMarkerLength(string text) => TextMatching.TrailingPrefixLength(text, Markers);

    /// <summary>Content outside the &lt;tool_call&gt; blocks, or null when a block is malformed.</summary>
    private static string? ParseQwen(string text, List<FunctionCallContent> calls)
    {
        var content = new StringBuilder();
        int at = 0;
        while (text.IndexOf(QwenOpen, at, StringComparison.Ordinal) is int open and >= 0)
        {
            content.Append(text, at, open - at);
            int i = SkipWhitespace(text, open + QwenOpen.Length);
            if (!TryReadJson(text, i, out var value, out i) || ToCall(value, "arguments") is not { } call)
            {
                return null;
            }

            calls.Add(call);
            i = SkipWhitespace(text, i);
            if (string.CompareOrdinal(text, i, QwenClose, 0, QwenClose.Length) == 0)
            {
                at = i + QwenClose.Length;
            }
            else if (i == text.Length)
            {
                at = i; // the model ended its turn right after the JSON
            }
            else
            {
                return null;
            }
        }

        content.Append(text, at, text.Length - at);
        return content.ToString();
    }

    private static string? ParseMistral(string text, int marker, List<FunctionCallContent> calls)
    {
        int i = SkipWhitespace(text, marker + MistralMarker.Length);
        while (i < text.Length)
        {
            if (text[i] is '[' or '{')
            {
                if (!TryReadJson(text, i, out var value, out i))
                {
                    return null;
                }

                foreach (var item in value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : Enumerable.Repeat(value, 1))
                {
                    if (ToCall(item, "arguments") is not { } call)
                    {
                        return null;
                    }

                    calls.Add(call);
                }
            }
            else
            {
                // [TOOL_CALLS]name[ARGS]{...} (Mistral tokenizer v11 and later)
                int args = text.IndexOf(MistralArgs, i, StringComparison.Ordinal);
                string name = args < 0 ? string.Empty : text[i..args].Trim();
                if (name.Length == 0 || name.AsSpan().ContainsAny("{}[]\"") || !TryReadJson(text, SkipWhitespace(text, args + MistralArgs.Length), out var arguments, out i)
                    || Arguments(arguments) is not { } parsed)
                {
                    return null;
                }

                calls.Add(new FunctionCallContent(NewCallId(), name, parsed));
            }

            i = SkipWhitespace(text, i);
            if (string.CompareOrdinal(text, i, MistralMarker, 0, MistralMarker.Length) == 0)
            {
                i = SkipWhitespace(text, i + MistralMarker.Length);
            }
            else if (i < text.Length)
            {
                return null;
            }
        }

        return text[..marker];
    }

    /// <summary>JSON call objects separated by ';' from <paramref name="start"/> to the end.</summary>
    private static string? ParseLlama(string text, int start, string before, List<FunctionCallContent> calls)
    {
        int i = SkipWhitespace(text, start);
        while (true)
        {
            if (!TryReadJson(text, i, out var value, out i) || ToCall(value, "parameters", "arguments") is not { } call)
            {
                return null;
            }

            calls.Add(call);
            i = SkipWhitespace(text, i);
            if (i == text.Length)
            {
                return before;
            }

            if (text[i] != ';')
            {
                return null;
            }

            i = SkipWhitespace(text, i + 1);
            if (i == text.Length)
            {
                return before;
            }
        }
    }

    private static FunctionCallContent? ToCall(JsonElement value, params string[] argumentNames)
    {
        if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
            || name.GetString() is not { Length: > 0 } functionName)
        {
            return null;
        }

        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var argumentName in argumentNames)
        {
            if (value.TryGetProperty(argumentName, out var a))
            {
                if (Arguments(a) is not { } parsed)
                {
                    return null;
                }

                arguments = parsed;
                break;
            }
        }

        string id = value.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String && idValue.GetString() is { Length: > 0 } given
            ? given
            : NewCallId();
        return new FunctionCallContent(id, functionName, arguments);
    }

    /// <summary>An arguments object (or a string holding one, as some models write it), or null.</summary>
    private static Dictionary<string, object?>? Arguments(JsonElement a)
    {
        if (a.ValueKind == JsonValueKind.String)
        {
            string s = a.GetString()!;
            if (!TryReadJson(s, SkipWhitespace(s, 0), out a, out int end) || SkipWhitespace(s, end) != s.Length)
            {
                return null;
            }
        }

        if (a.ValueKind == JsonValueKind.Null)
        {
            return new Dictionary<string, object?>(StringComparer.Ordinal);
        }

        if (a.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in a.EnumerateObject())
        {
            arguments[p.Name] = p.Value.Clone();
        }

        return arguments;
    }

    /// <summary>Reads one JSON value starting at <paramref name="start"/>; <paramref name="end"/> is the index after it.</summary>
    private static bool TryReadJson(string text, int start, out JsonElement value, out int end)
    {
        value = default;
        end = start;
        if (start >= text.Length || text[start] is not ('{' or '[' or '"'))
        {
            return false;
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(text, start, text.Length - start);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { AllowMultipleValues = true });
        try
        {
            if (!JsonDocument.TryParseValue(ref reader, out var document))
            {
                return false;
            }

            using (document)
            {
                value = document.RootElement.Clone();
            }
        }
        catch (JsonException)
        {
            return false;
        }

        end = start + Encoding.UTF8.GetCharCount(utf8, 0, (int)reader.BytesConsumed);
        return true;
    }

    private static int SkipWhitespace(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        return i;
    }

    private static string NewCallId() => "call_" + Guid.NewGuid().ToString("N")[..24];
}
