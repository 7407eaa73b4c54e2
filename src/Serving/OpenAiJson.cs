using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

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
    public static byte[] Completion(ResponseHeader header, bool chat, bool chunk, string? text, string? finishReason, GenerationOutcome? usage,
        bool firstChunk = false, bool noChoices = false) => Write(w =>
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

                if (text is not null)
                {
                    w.WriteString("content", text);
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
