using System.Text.Json;
using Microsoft.Extensions.AI;
using UNComp.Runtime.Generation;

namespace UNComp.Serving;

/// <summary>
/// A validated <c>/v1/chat/completions</c> or <c>/v1/completions</c> request. Parsing reads the JSON by hand (no
/// reflection) and names the offending field in every error; unknown fields are ignored, as OpenAI clients send extras.
/// </summary>
internal sealed record OpenAiRequest
{
    public string? Model { get; init; }

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    public int MaxTokens { get; init; }

    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>The prompt of a completion request.</summary>
    public string? Prompt { get; init; }

    /// <summary>The conversation of a chat request.</summary>
    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    /// <summary>The chat request's <c>tool_choice</c> when a string ("none", "auto", "required"); "function" when it names one.</summary>
    public string? ToolChoice { get; init; }

    /// <summary>Tools and template switches of a chat request.</summary>
    public ChatOptions? ChatOptions { get; init; }

    public static OpenAiRequest ParseChat(JsonElement root, ServerOptions limits)
    {
        var common = ParseCommon(root, limits);
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw ApiException.Invalid("'messages' must be a non-empty array of {role, content} objects.", "messages");
        }

        var list = new List<ChatMessage>();
        int i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            list.Add(ParseMessage(m, $"messages[{i++}]"));
        }

        var options = new ChatOptions();
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind != JsonValueKind.Null)
        {
            options.Tools = ParseTools(tools);
        }

        if (root.TryGetProperty("chat_template_kwargs", out var kwargs) && kwargs.ValueKind == JsonValueKind.Object)
        {
            options.AdditionalProperties = [];
            foreach (var p in kwargs.EnumerateObject())
            {
                options.AdditionalProperties[p.Name] = p.Value.Clone();
            }
        }

        string? toolChoice = !root.TryGetProperty("tool_choice", out var choice) ? null
            : choice.ValueKind switch
            {
                JsonValueKind.String when choice.GetString() is "none" or "auto" or "required" => choice.GetString(),
                JsonValueKind.Object => "function",
                JsonValueKind.Null => null,
                _ => throw ApiException.Invalid("'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", ...}.", "tool_choice"),
            };
        return common with { Messages = list, ChatOptions = options, ToolChoice = toolChoice };
    }

    public static OpenAiRequest ParseCompletion(JsonElement root, ServerOptions limits)
    {
        var common = ParseCommon(root, limits);
        if (!root.TryGetProperty("prompt", out var prompt))
        {
            throw ApiException.Invalid("'prompt' is required (a string).", "prompt");
        }

        string text = prompt.ValueKind switch
        {
            JsonValueKind.String => prompt.GetString()!,
            JsonValueKind.Array when prompt.GetArrayLength() == 1 && prompt[0].ValueKind == JsonValueKind.String => prompt[0].GetString()!,
            _ => throw ApiException.Invalid("'prompt' must be a string (or an array of exactly one string); token-id prompts and batches are not supported.", "prompt"),
        };
        return common with { Prompt = text };
    }

    private static OpenAiRequest ParseCommon(JsonElement root, ServerOptions limits)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.Invalid("the request body must be a JSON object.");
        }

        int maxTokens = limits.DefaultMaxTokens;
        foreach (var name in new[] { "max_completion_tokens", "max_tokens" })
        {
            if (root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null)
            {
                if (!v.TryGetInt32(out maxTokens) || maxTokens < 1)
                {
                    throw ApiException.Invalid($"'{name}' must be a positive integer.", name);
                }

                if (maxTokens > limits.MaxTokensLimit)
                {
                    throw ApiException.Invalid($"'{name}' is {maxTokens}; this server allows at most {limits.MaxTokensLimit}.", name);
                }

                break;
            }
        }

        if (Number(root, "n") is { } n && n != 1)
        {
            throw ApiException.Invalid("only n = 1 is supported.", "n");
        }

        double temperature = Number(root, "temperature") ?? 1.0;
        if (temperature is < 0 or > 2)
        {
            throw ApiException.Invalid("'temperature' must be between 0 and 2.", "temperature");
        }

        double topP = Number(root, "top_p") ?? 1.0;
        if (topP is <= 0 or > 1)
        {
            throw ApiException.Invalid("'top_p' must be in (0, 1].", "top_p");
        }

        double topK = Number(root, "top_k") ?? 0;
        if (topK < 0 || topK != Math.Floor(topK) || topK > int.MaxValue)
        {
            throw ApiException.Invalid("'top_k' must be a non-negative integer.", "top_k");
        }

        double seed = Number(root, "seed") ?? 0;
        if (seed != Math.Floor(seed) || Math.Abs(seed) > long.MaxValue)
        {
            throw ApiException.Invalid("'seed' must be an integer.", "seed");
        }

        bool stream = Bool(root, "stream") ?? false;
        bool includeUsage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object && (Bool(so, "include_usage") ?? false);
        string? model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        return new OpenAiRequest
        {
            Model = model,
            Stream = stream,
            IncludeUsage = includeUsage,
            MaxTokens = maxTokens,
            Stop = ParseStop(root),
            Sampling = new SamplingOptions { Temperature = temperature, TopP = topP, TopK = (int)topK, Seed = unchecked((int)(long)seed) },
        };
    }

    private static double? Number(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw ApiException.Invalid($"'{name}' must be a number.", name);
    }

    private static bool? Bool(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw ApiException.Invalid($"'{name}' must be true or false.", name);
    }

    private static List<string> ParseStop(JsonElement root)
    {
        if (!root.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        var stops = stop.ValueKind switch
        {
            JsonValueKind.String => [stop.GetString()!],
            JsonValueKind.Array => stop.EnumerateArray().Select(s => s.ValueKind == JsonValueKind.String
                ? s.GetString()!
                : throw ApiException.Invalid("'stop' must be a string or an array of strings.", "stop")).ToList(),
            _ => throw ApiException.Invalid("'stop' must be a string or an array of strings.", "stop"),
        };
        if (stops.Count > 4 || stops.Exists(s => s.Length == 0))
        {
            throw ApiException.Invalid("'stop' takes at most 4 non-empty sequences.", "stop");
        }

        return stops;
    }

    private static ChatMessage ParseMessage(JsonElement m, string path)
    {
        if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var roleElement) || roleElement.ValueKind != JsonValueKind.String)
        {
            throw ApiException.Invalid($"'{path}' must be an object with a string 'role'.", path);
        }

        string role = roleElement.GetString()!;
        string text = Content(m, path);
        switch (role)
        {
            case "system" or "developer":
                return new ChatMessage(ChatRole.System, text);
            case "user":
                return new ChatMessage(ChatRole.User, text);
            case "assistant":
                var message = new ChatMessage(ChatRole.Assistant, text);
                if (m.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    if (text.Length == 0)
                    {
                        message.Contents.Clear();
                    }

                    int i = 0;
                    foreach (var call in calls.EnumerateArray())
                    {
                        message.Contents.Add(ParseToolCall(call, $"{path}.tool_calls[{i++}]"));
                    }
                }

                return message;
            case "tool":
                if (!m.TryGetProperty("tool_call_id", out var id) || id.ValueKind != JsonValueKind.String)
                {
                    throw ApiException.Invalid($"'{path}.tool_call_id' is required for a tool message.", $"{path}.tool_call_id");
                }

                return new ChatMessage(ChatRole.Tool, [new FunctionResultContent(id.GetString()!, text)]);
            default:
                throw ApiException.Invalid($"'{path}.role' is \"{role}\"; expected system, developer, user, assistant or tool.", $"{path}.role");
        }
    }

    private static string Content(JsonElement m, string path)
    {
        if (!m.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return string.Empty;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind == JsonValueKind.Array)
        {
            return string.Concat(content.EnumerateArray().Select(part =>
                part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.GetString() == "text"
                    && part.TryGetProperty("text", out var partText) && partText.ValueKind == JsonValueKind.String
                    ? partText.GetString()
                    : throw ApiException.Invalid($"'{path}.content' parts must be {{\"type\": \"text\", \"text\": ...}}; images and audio are not supported.", $"{path}.content")));
        }

        throw ApiException.Invalid($"'{path}.content' must be a string or an array of text parts.", $"{path}.content");
    }

    private static FunctionCallContent ParseToolCall(JsonElement call, string path)
    {
        if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
            || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
        {
            throw ApiException.Invalid($"'{path}' must be {{\"id\", \"type\": \"function\", \"function\": {{\"name\", \"arguments\"}}}}.", path);
        }

        string id = call.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString()! : string.Empty;
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (function.TryGetProperty("arguments", out var args) && args.ValueKind != JsonValueKind.Null)
        {
            JsonElement parsed;
            try
            {
                parsed = args.ValueKind == JsonValueKind.String ? JsonDocument.Parse(args.GetString()!).RootElement : args;
            }
            catch (JsonException e)
            {
                throw ApiException.Invalid($"'{path}.function.arguments' is not valid JSON: {e.Message}", $"{path}.function.arguments");
            }

            if (parsed.ValueKind != JsonValueKind.Object)
            {
                throw ApiException.Invalid($"'{path}.function.arguments' must be a JSON object.", $"{path}.function.arguments");
            }

            foreach (var p in parsed.EnumerateObject())
            {
                arguments[p.Name] = p.Value.Clone();
            }
        }

        return new FunctionCallContent(id, name.GetString()!, arguments);
    }

    private static List<AITool> ParseTools(JsonElement tools)
    {
        if (tools.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.Invalid("'tools' must be an array of {\"type\": \"function\", \"function\": {...}} objects.", "tools");
        }

        var result = new List<AITool>();
        int i = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            string path = $"tools[{i++}]";
            if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object
                || !f.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                throw ApiException.Invalid($"'{path}' must be {{\"type\": \"function\", \"function\": {{\"name\", \"description\", \"parameters\"}}}}.", path);
            }

            string? description = f.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            var parameters = f.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
                ? p.Clone()
                : JsonDocument.Parse("{\"type\": \"object\", \"properties\": {}}").RootElement;
            result.Add(AIFunctionFactory.CreateDeclaration(name.GetString()!, description, parameters));
        }

        return result;
    }
}
