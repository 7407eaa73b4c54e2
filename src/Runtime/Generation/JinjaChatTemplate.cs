using System.Text.Json;
using Microsoft.Extensions.AI;
using UNComp.Runtime.Models;
using UNComp.Runtime.Templating;

namespace UNComp.Runtime.Generation;

/// <summary>
/// A model's own chat template: the Jinja <c>chat_template</c> of its <c>tokenizer_config.json</c> (or
/// <c>chat_template.jinja</c>), rendered like transformers' <c>apply_chat_template(..., tokenize=False)</c> with
/// <c>bos_token</c>, <c>eos_token</c>, <c>add_generation_prompt</c>, <c>messages</c> and, when the request has
/// tools, <c>tools</c>. The rendered prompt already holds the special tokens, so it is encoded without adding more.
/// </summary>
public sealed class JinjaChatTemplate : ChatTemplate
{
    /// <summary>Creates the template from its source; <paramref name="name"/> labels errors (e.g. the file path).</summary>
    /// <exception cref="TemplateException">The template has a syntax error or an unsupported construct.</exception>
    public JinjaChatTemplate(string source, string? bosToken, string? eosToken, string name = "chat_template")
    {
        Template = JinjaTemplate.Parse(source, name);
        BosToken = bosToken;
        EosToken = eosToken;
    }

    /// <summary>The parsed template.</summary>
    public JinjaTemplate Template { get; }

    /// <summary>The <c>bos_token</c> text passed to the template, if any.</summary>
    public string? BosToken { get; }

    /// <summary>The <c>eos_token</c> text passed to the template (and a stop token of generation), if any.</summary>
    public string? EosToken { get; }

    /// <summary>Empty: Jinja-templated models stop on their end-of-turn token, not on text.</summary>
    public override string StopText => string.Empty;

    /// <inheritdoc />
    public override bool AddSpecialTokens => false;

    /// <summary>True when the template reads the <c>tools</c> variable.</summary>
    public override bool SupportsTools => Template.Source.Contains("tools", StringComparison.Ordinal);

    /// <summary>
    /// Reads the chat template of a Hugging Face model directory: <c>chat_template.jinja</c> if present, else the
    /// <c>chat_template</c> of <c>tokenizer_config.json</c> (a string, or a list of named templates, of which
    /// "default" is used). Returns null when the model has none.
    /// </summary>
    /// <exception cref="TemplateException">The template does not parse.</exception>
    /// <exception cref="InvalidDataException">tokenizer_config.json is not valid JSON or chat_template has an unexpected shape.</exception>
    public static JinjaChatTemplate? FromModelDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string configPath = Path.Combine(directory, "tokenizer_config.json");
        string jinjaPath = Path.Combine(directory, "chat_template.jinja");
        string? bos = null, eos = null, source = null, name = configPath + " chat_template";
        if (File.Exists(configPath))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
                var root = doc.RootElement;
                bos = TokenText(root, "bos_token");
                eos = TokenText(root, "eos_token");
                if (root.TryGetProperty("chat_template", out var template))
                {
                    source = template.ValueKind switch
                    {
                        JsonValueKind.String => template.GetString(),
                        JsonValueKind.Array => template.EnumerateArray()
                            .Where(t => t.TryGetProperty("name", out var n) && n.GetString() == "default")
                            .Select(t => t.GetProperty("template").GetString()).FirstOrDefault()
                            ?? throw new InvalidDataException($"{configPath}: chat_template is a list without a template named \"default\""),
                        JsonValueKind.Null => null,
                        _ => throw new InvalidDataException($"{configPath}: chat_template must be a string or a list of {{name, template}} objects"),
                    };
                }
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{configPath} is not valid JSON: {e.Message}", e);
            }
        }

        if (File.Exists(jinjaPath))
        {
            source = File.ReadAllText(jinjaPath);
            name = jinjaPath;
        }

        return source is null ? null : new JinjaChatTemplate(source, bos, eos, name);
    }

    /// <inheritdoc />
    public override string Format(IEnumerable<ChatMessage> messages) => Format(messages, null);

    /// <inheritdoc />
    public override string Format(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages.SelectMany(ToTemplateMessages).ToList(),
            ["add_generation_prompt"] = true,
            ["bos_token"] = BosToken,
            ["eos_token"] = EosToken,
        };
        var tools = options?.Tools?.OfType<AIFunctionDeclaration>().Select(ToTemplateTool).ToList();
        if (tools is { Count: > 0 })
        {
            variables["tools"] = tools;
        }

        // Template switches such as enable_thinking or date_string travel as additional properties.
        foreach (var (key, value) in options?.AdditionalProperties ?? [])
        {
            variables[key] = value;
        }

        return Template.Render(variables);
    }

    /// <summary>
    /// Adds the id of this template's <see cref="EosToken"/> (e.g. Llama 3's &lt;|eot_id|&gt;, which some
    /// generation configs omit) to the ids that end generation, when <paramref name="codec"/> knows the token.
    /// </summary>
    public GeneratorParams StopAtEosToken(GeneratorParams generatorParams, LlamaModel model, ITokenCodec codec)
    {
        ArgumentNullException.ThrowIfNull(generatorParams);
        ArgumentNullException.ThrowIfNull(model);
        if (EosToken is null || codec is not TokenizerCodec { Tokenizer: var tokenizer } || tokenizer.TokenToId(EosToken) is not { } id)
        {
            return generatorParams;
        }

        var ids = generatorParams.EosTokenIds ?? model.GenerationConfig.EosTokenIds;
        return ids.Contains(id) ? generatorParams : generatorParams with { EosTokenIds = [.. ids, id] };
    }

    private static string? TokenText(JsonElement root, string key) =>
        !root.TryGetProperty(key, out var token) ? null
        : token.ValueKind == JsonValueKind.String ? token.GetString()
        : token.ValueKind == JsonValueKind.Object && token.TryGetProperty("content", out var content) ? content.GetString()
        : null;

    /// <summary>A message as transformers sees it: role + content, tool calls as <c>tool_calls</c>, tool results as role "tool".</summary>
    private static IEnumerable<object?> ToTemplateMessages(ChatMessage message)
    {
        var results = message.Contents.OfType<FunctionResultContent>().ToList();
        foreach (var result in results)
        {
            yield return TemplateValueMap(
                ("role", "tool"), ("tool_call_id", result.CallId), ("content", ResultText(result.Result)));
        }

        if (results.Count > 0 && message.Text.Length == 0)
        {
            yield break;
        }

        var calls = message.Contents.OfType<FunctionCallContent>().ToList();
        var map = TemplateValueMap(("role", message.Role.Value), ("content", message.Text));
        if (calls.Count > 0)
        {
            map["tool_calls"] = calls.Select(c => (object?)TemplateValueMap(
                ("id", c.CallId), ("type", "function"),
                ("function", TemplateValueMap(("name", c.Name), ("arguments", c.Arguments ?? new Dictionary<string, object?>()))))).ToList();
        }

        yield return map;
    }

    private static string ResultText(object? result) => result switch
    {
        null => string.Empty,
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString() ?? string.Empty,
        JsonElement e => e.GetRawText(),
        _ => result.ToString() ?? string.Empty,
    };

    private static Dictionary<string, object?> ToTemplateTool(AIFunctionDeclaration f) => TemplateValueMap(
        ("type", "function"),
        ("function", TemplateValueMap(("name", f.Name), ("description", f.Description), ("parameters", f.JsonSchema))));

    private static Dictionary<string, object?> TemplateValueMap(params (string Key, object? Value)[] entries)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in entries)
        {
            map[k] = v;
        }

        return map;
    }
}
