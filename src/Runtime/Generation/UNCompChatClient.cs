using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Generation;

/// <summary>
/// <see cref="IChatClient"/> over a loaded model, so it plugs into Microsoft.Extensions.AI. Each request formats
/// the conversation with a <see cref="ChatTemplate"/> (by default the model's own Jinja <c>chat_template</c> from
/// its tokenizer_config.json, else <see cref="ChatTemplate.Plain"/>), runs a fresh <see cref="Generator"/> (compression hooks and
/// cache layout from the default <see cref="GeneratorParams"/>) and streams decoded text. ChatOptions map:
/// MaxOutputTokens → MaxNewTokens, Temperature/TopK/TopP/Seed → sampling. When the request has tools and the template
/// shows them to the model, tool calls in the reply (Llama 3.x, Mistral and Qwen formats, <see cref="ToolCallParser"/>)
/// come back as <see cref="FunctionCallContent"/> with <see cref="ChatFinishReason.ToolCalls"/>.
/// </summary>
public sealed class UNCompChatClient : IChatClient
{
    private readonly LlamaModel _model;
    private readonly ITokenCodec _codec;
    private readonly GeneratorParams _defaults;
    private readonly ChatTemplate _template;
    private readonly ChatClientMetadata _metadata;
    private readonly Func<IReadOnlyList<int>, GeneratorParams, CancellationToken, IAsyncEnumerable<int>> _generate;

    /// <summary>
    /// Creates the client; the model and codec are borrowed (not disposed here). Without <paramref name="template"/>
    /// the model directory's chat template is used (<see cref="JinjaChatTemplate.FromModelDirectory"/>), and the plain
    /// "User:/Assistant:" template when the model has none.
    /// </summary>
    /// <exception cref="Templating.TemplateException">The model's chat template uses an unsupported construct.</exception>
    public UNCompChatClient(LlamaModel model, ITokenCodec codec, GeneratorParams? defaults = null, ChatTemplate? template = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(codec);
        _model = model;
        _codec = codec;
        _template = template ?? JinjaChatTemplate.FromModelDirectory(model.Directory) ?? ChatTemplate.Plain;
        _defaults = WithTemplateEos(defaults ?? new GeneratorParams(), model, codec, _template);
        _metadata = new ChatClientMetadata("uncomp", null, Path.GetFileName(model.Directory));
        _generate = GenerateAsync;
    }

    /// <summary>A client whose tokens come from <paramref name="generate"/> instead of the model (tests script replies with it).</summary>
    internal UNCompChatClient(LlamaModel model, ITokenCodec codec, GeneratorParams defaults, ChatTemplate template,
        Func<IReadOnlyList<int>, GeneratorParams, CancellationToken, IAsyncEnumerable<int>> generate)
        : this(model, codec, defaults, template)
    {
        _generate = generate;
    }

    /// <summary>The template conversations are formatted with.</summary>
    public ChatTemplate Template => _template;

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(u);
        }

        return updates.ToChatResponse();
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string prompt = _template.Format(messages, options);
        var promptIds = _codec.Encode(prompt, _template.AddSpecialTokens);
        var p = Apply(options);
        var eos = p.EosTokenIds ?? _model.GenerationConfig.EosTokenIds;
        // Tool-call markers are special tokens in Llama and Mistral tokenizers: keep them (but not the eos) for the parser.
        var toolCalls = options?.Tools is { Count: > 0 } && _template.SupportsTools ? new ToolCallStreamFilter() : null;
        var generated = new List<int>();
        var visible = new List<int>();
        string emitted = string.Empty;
        string responseId = Guid.NewGuid().ToString("N");
        ChatFinishReason finish = ChatFinishReason.Length;
        bool endOfSequence = false;
        await foreach (int token in _generate(promptIds, p, cancellationToken).ConfigureAwait(false))
        {
            generated.Add(token);
            endOfSequence = eos.Contains(token);
            if (toolCalls is null || !endOfSequence)
            {
                visible.Add(token);
            }

            string text = _codec.Decode(visible, skipSpecialTokens: toolCalls is null);
            int stop = _template.StopText.Length == 0 ? -1 : text.IndexOf(_template.StopText, StringComparison.Ordinal);
            if (stop >= 0)
            {
                text = text[..stop];
            }

            // Hold back a trailing replacement char: a multi-byte character may still be incomplete.
            string ready = text.EndsWith('\uFFFD') ? text[..^1] : text;
            if (ready.Length > emitted.Length && ready.StartsWith(emitted, StringComparison.Ordinal))
            {
                string delta = ready[emitted.Length..];
                emitted = ready;
                delta = toolCalls?.Push(delta) ?? delta;
                if (delta.Length > 0)
                {
                    yield return Update(delta, responseId, null);
                }
            }

            if (stop >= 0)
            {
                finish = ChatFinishReason.Stop;
                break;
            }
        }

        if (endOfSequence)
        {
            finish = ChatFinishReason.Stop;
        }

        var last = Update(string.Empty, responseId, finish);
        if (toolCalls?.Finish() is { } parsed)
        {
            if (parsed.Content.Length > 0)
            {
                yield return Update(parsed.Content, responseId, null);
            }

            if (parsed.Calls.Count > 0)
            {
                last.FinishReason = ChatFinishReason.ToolCalls;
                foreach (var call in parsed.Calls)
                {
                    last.Contents.Add(call);
                }
            }
        }

        last.Contents.Add(new UsageContent(new UsageDetails
        {
            InputTokenCount = promptIds.Count,
            OutputTokenCount = generated.Count,
            TotalTokenCount = promptIds.Count + generated.Count,
        }));
        yield return last;
    }

    private async IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> promptIds, GeneratorParams p, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var generator = new Generator(_model, p);
        await foreach (int token in generator.GenerateAsync(promptIds, cancellationToken).ConfigureAwait(false))
        {
            yield return token;
        }
    }

    private ChatResponseUpdate Update(string text, string responseId, ChatFinishReason? finish) => new(ChatRole.Assistant, text)
    {
        ResponseId = responseId,
        MessageId = responseId,
        ModelId = _metadata.DefaultModelId,
        FinishReason = finish,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    private static GeneratorParams WithTemplateEos(GeneratorParams p, LlamaModel model, ITokenCodec codec, ChatTemplate template) =>
        template is JinjaChatTemplate jinja ? jinja.StopAtEosToken(p, model, codec) : p;

    private GeneratorParams Apply(ChatOptions? options)
    {
        if (options is null)
        {
            return _defaults;
        }

        var s = _defaults.Sampling;
        var sampling = s with
        {
            Temperature = options.Temperature ?? s.Temperature,
            TopK = options.TopK ?? s.TopK,
            TopP = options.TopP ?? s.TopP,
            Seed = options.Seed is long seed ? unchecked((int)seed) : s.Seed,
        };
        return _defaults with { Sampling = sampling, MaxNewTokens = options.MaxOutputTokens ?? _defaults.MaxNewTokens };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return _metadata;
        }

        if (serviceType == typeof(LlamaModel))
        {
            return _model;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // The model and codec are borrowed; generators are disposed per request.
    }
}
