using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace UNComp.Serving;

/// <summary>Writes the OpenAI response shapes with <see cref="Utf8JsonWriter"/> (no reflection).</summary>
internal static class OpenAiJson
{
    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        // Relaxed escaping: the body is JSON for API clients, never embedded in HTML, so apostrophes and non-ASCII text stay readable.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            body(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Error(ApiException e) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", e.Message);
        w.WriteString("type", e.Type);
        WriteNullable(w, "param", e.Param);
        WriteNullable(w, "code", e.Code);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    public static byte[] Models(string id, long created) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", "model");
        w.WriteNumber("created", created);
        w.WriteString("owned_by", "uncomp");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>A whole response (stream = false) or one chunk (stream = true) of a chat or text completion.</summary>
    /// <remarks>
    /// <paramref name="toolCalls"/> (chat only) go out as the message's <c>tool_calls</c> (content null when empty), or
    /// in a chunk as <c>delta.tool_calls</c> with their index, each call whole.
    /// </remarks>
    public static byte[] Completion(ResponseHeader header, bool chat, bool chunk, string? text, string? finishReason, GenerationOutcome? usage,
        bool firstChunk = false, bool noChoices = false, IReadOnlyList<FunctionCallContent>? toolCalls = null) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("id", header.Id);
        w.WriteString("object", chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion");
        w.WriteNumber("created", header.Created);
        w.WriteString("model", header.Model);
        w.WriteStartArray("choices");
        if (!noChoices)
        {
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            if (chat)
            {
                w.WriteStartObject(chunk ? "delta" : "message");
                if (!chunk || firstChunk)
                {
                    w.WriteString("role", "assistant");
                }

                bool calls = toolCalls is { Count: > 0 };
                if (calls && !chunk && string.IsNullOrEmpty(text))
                {
                    w.WriteNull("content");
                }
                else if (text is not null)
                {
                    w.WriteString("content", text);
                }

                if (calls)
                {
                    WriteToolCalls(w, toolCalls!, chunk);
                }

                w.WriteEndObject();
            }
            else
            {
                w.WriteString("text", text ?? string.Empty);
                w.WriteNull("logprobs");
            }

            WriteNullable(w, "finish_reason", finishReason);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (usage is not null)
        {
            w.WriteStartObject("usage");
            w.WriteNumber("prompt_tokens", usage.PromptTokens);
            w.WriteNumber("completion_tokens", usage.CompletionTokens);
            w.WriteNumber("total_tokens", usage.PromptTokens + usage.CompletionTokens);
            w.WriteEndObject();
        }
        else if (chunk)
        {
            w.WriteNull("usage");
        }

        w.WriteEndObject();
    });

    private static void WriteToolCalls(Utf8JsonWriter w, IReadOnlyList<FunctionCallContent> calls, bool chunk)
    {
        w.WriteStartArray("tool_calls");
        for (int i = 0; i < calls.Count; i++)
        {
            w.WriteStartObject();
            if (chunk)
            {
                w.WriteNumber("index", i);
            }

            w.WriteString("id", calls[i].CallId);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", calls[i].Name);
            w.WriteString("arguments", ArgumentsJson(calls[i].Arguments));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>A call's arguments as the JSON object text OpenAI clients expect in <c>function.arguments</c>.</summary>
    internal static string ArgumentsJson(IDictionary<string, object?>? arguments) => Encoding.UTF8.GetString(Write(w =>
    {
        w.WriteStartObject();
        foreach (var (name, value) in arguments ?? new Dictionary<string, object?>())
        {
            w.WritePropertyName(name);
            switch (value)
            {
                case null:
                    w.WriteNullValue();
                    break;
                case JsonElement element:
                    element.WriteTo(w);
                    break;
                case string s:
                    w.WriteStringValue(s);
                    break;
                case bool b:
                    w.WriteBooleanValue(b);
                    break;
                case IConvertible number when value is int or long or double or float or decimal:
                    w.WriteRawValue(number.ToString(CultureInfo.InvariantCulture));
                    break;
                default:
                    w.WriteStringValue(value.ToString());
                    break;
            }
        }

        w.WriteEndObject();
    }));

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}

/// <summary>The fields every response and chunk of one request share.</summary>
internal sealed record ResponseHeader(string Id, long Created, string Model);
