using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Generation;

/// <summary>
/// <see cref="IChatClient"/> over a loaded model, so it plugs into Microsoft.Extensions.AI. Each request formats
/// the conversation with a <see cref="ChatTemplate"/> (by default the model's own Jinja <c>chat_template</c> from
/// its tokenizer_config.json, else <see cref="ChatTemplate.Plain"/>), runs a fresh <see cref="Generator"/> (compression hooks and
/// cache layout from the default <see cref="GeneratorParams"/>) and streams decoded text. ChatOptions map:
/// MaxOutputTokens → MaxNewTokens, Temperature/TopK/TopP/Seed → sampling.
/// </summary>
public sealed class UNCompChatClient : IChatClient
{
    private readonly LlamaModel _model;
    private readonly ITokenCodec _codec;
    private readonly GeneratorParams _defaults;
    private readonly ChatTemplate _template;
    private readonly ChatClientMetadata _metadata;

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
        using var generator = new Generator(_model, p);
        var generated = new List<int>();
        string emitted = string.Empty;
        string responseId = Guid.NewGuid().ToString("N");
        ChatFinishReason finish = ChatFinishReason.Length;
        await foreach (int token in generator.GenerateAsync(promptIds, cancellationToken).ConfigureAwait(false))
        {
            generated.Add(token);
            string text = _codec.Decode(generated, skipSpecialTokens: true);
            int stop = _template.StopText.Length == 0 ? -1 : text.IndexOf(_template.StopText, StringComparison.Ordinal);
            if (stop >= 0)
            {
                text = text[..stop];
            }

            // Hold back a trailing replacement char: a multi-byte character may still be incomplete.
            string ready = text.EndsWith('\uFFFD') ? text[..^1] : text;
            if (ready.Length > emitted.Length && ready.StartsWith(emitted, StringComparison.Ordinal))
            {
                yield return Update(ready[emitted.Length..], responseId, null);
                emitted = ready;
            }

            if (stop >= 0)
            {
                finish = ChatFinishReason.Stop;
                break;
            }
        }

        if (generator.IsDone && generated.Count > 0 && (p.EosTokenIds ?? _model.GenerationConfig.EosTokenIds).Contains(generated[^1]))
        {
            finish = ChatFinishReason.Stop;
        }

        var last = Update(string.Empty, responseId, finish);
        last.Contents.Add(new UsageContent(new UsageDetails
        {
            InputTokenCount = promptIds.Count,
            OutputTokenCount = generated.Count,
            TotalTokenCount = promptIds.Count + generated.Count,
        }));
        yield return last;
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
