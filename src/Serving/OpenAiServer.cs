using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Serving;
using UNComp.Runtime.Templating;

namespace UNComp.Serving;

/// <summary>
/// An OpenAI-compatible HTTP server over one <see cref="ServedModel"/> (ASP.NET Core minimal API, Kestrel):
/// <c>POST /v1/chat/completions</c> and <c>POST /v1/completions</c> (JSON or server-sent events with
/// <c>"stream": true</c>), <c>GET /v1/models</c>, <c>GET /health</c>. Requests go to a <see cref="BatchScheduler"/>
/// (continuous batching over the engine's slots: the CPU engine by default, or a given <see cref="IBatchEngine"/> such
/// as <see cref="CudaBatchEngine"/>); a client that disconnects cancels its generation (or leaves the queue). With
/// tools and a template that shows them, the model's tool calls come back as <c>tool_calls</c>
/// (<see cref="ToolCallParser"/>). Limits and malformed requests answer 4xx with an OpenAI-style JSON error body.
/// </summary>
public sealed class OpenAiServer : IAsyncDisposable
{
    private static readonly byte[] DoneEvent = "data: [DONE]\n\n"u8.ToArray();
    private readonly WebApplication _app;
    private readonly ServedModel _served;
    private readonly ServerOptions _options;
    private readonly byte[]? _apiKey;
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private readonly int _contextLength;

    /// <summary>Creates (but does not start) the server.</summary>
    /// <param name="served">The model, tokenizer and template.</param>
    /// <param name="options">Address, auth and limits.</param>
    /// <param name="engine">
    /// The engine requests are batched on (borrowed: the caller disposes it after the server); default: the CPU engine
    /// with <see cref="ServerOptions.GenerationSlots"/> slots (owned by the server).
    /// </param>
    /// <exception cref="ArgumentException">The options are invalid (e.g. a non-loopback address without an API key).</exception>
    public OpenAiServer(ServedModel served, ServerOptions options, IBatchEngine? engine = null)
    {
        ArgumentNullException.ThrowIfNull(served);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _served = served;
        _options = options;
        _apiKey = string.IsNullOrEmpty(options.ApiKey) ? null : Encoding.UTF8.GetBytes("Bearer " + options.ApiKey);
        Scheduler = new BatchScheduler(engine ?? served.CreateCpuEngine(options.GenerationSlots),
            new BatchSchedulerOptions { MaxWaiting = options.MaxQueuedRequests, OwnsEngine = engine is null });
        _contextLength = Math.Min(served.ContextLength, Scheduler.Engine.MaxSequenceLength);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            if (options.Host == "localhost")
            {
                k.ListenLocalhost(options.Port);
            }
            else
            {
                k.Listen(IPAddress.Parse(options.Host), options.Port);
            }
        });
        _app = builder.Build();
        _app.Use(AuthorizeAsync);
        _app.MapGet("/health", new RequestDelegate(ctx => ctx.Response.WriteAsync("ok", ctx.RequestAborted)));
        _app.MapGet("/v1/models", new RequestDelegate(ctx => WriteJsonAsync(ctx, 200, OpenAiJson.Models(_served.Id, _created))));
        _app.MapPost("/v1/chat/completions", new RequestDelegate(ctx => CompleteAsync(ctx, chat: true)));
        _app.MapPost("/v1/completions", new RequestDelegate(ctx => CompleteAsync(ctx, chat: false)));
        _app.MapFallback(new RequestDelegate(ctx => WriteJsonAsync(ctx, 404, OpenAiJson.Error(new ApiException(404, "invalid_request_error",
            $"no route {ctx.Request.Method} {ctx.Request.Path}; this server has POST /v1/chat/completions, POST /v1/completions, GET /v1/models.", code: "not_found")))));
    }

    /// <summary>Request counters.</summary>
    public ServerStatistics Statistics { get; } = new();

    /// <summary>The scheduler requests wait in and generate through.</summary>
    public BatchScheduler Scheduler { get; }

    /// <summary>The address the server listens on (after <see cref="StartAsync"/>), e.g. <c>http://127.0.0.1:8080/</c>.</summary>
    public Uri BaseAddress
    {
        get
        {
            var addresses = _app.Services.GetService(typeof(IServer)) is IServer server
                ? server.Features.Get<IServerAddressesFeature>()?.Addresses
                : null;
            string address = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("the server is not started.");
            return new Uri(address.EndsWith('/') ? address : address + "/");
        }
    }

    /// <summary>Starts listening.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    /// <summary>Stops listening; running requests are cancelled.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Completes when the server shuts down (e.g. Ctrl+C) or <paramref name="cancellationToken"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        Scheduler.Dispose();
    }

    private async Task AuthorizeAsync(HttpContext ctx, RequestDelegate next)
    {
        if (_apiKey is not null && ctx.Request.Path != "/health")
        {
            byte[] sent = Encoding.UTF8.GetBytes(ctx.Request.Headers.Authorization.ToString());
            if (!CryptographicOperations.FixedTimeEquals(sent, _apiKey))
            {
                Statistics.AddRejected();
                await WriteJsonAsync(ctx, 401, OpenAiJson.Error(new ApiException(401, "authentication_error",
                    "missing or wrong API key; send the header 'Authorization: Bearer <key>'.", code: "invalid_api_key"))).ConfigureAwait(false);
                return;
            }
        }

        await next(ctx).ConfigureAwait(false);
    }

    private async Task CompleteAsync(HttpContext ctx, bool chat)
    {
        var cancellationToken = ctx.RequestAborted;
        ScheduledGeneration? generation = null;
        try
        {
            using var body = await ReadJsonAsync(ctx, cancellationToken).ConfigureAwait(false);
            var request = chat ? OpenAiRequest.ParseChat(body.RootElement, _options) : OpenAiRequest.ParseCompletion(body.RootElement, _options);
            if (request.Model is { } model && model != _served.Id)
            {
                throw new ApiException(404, "invalid_request_error", $"model '{model}' is not served here; GET /v1/models lists '{_served.Id}'.", "model", "model_not_found");
            }

            var (promptIds, stops) = Prepare(request, chat);
            bool parseToolCalls = chat && request.ChatOptions?.Tools is { Count: > 0 } && request.ToolChoice != "none" && _served.Template.SupportsTools;
            var work = new GenerationRequest(promptIds, request.MaxTokens, request.Sampling, stops, parseToolCalls);
            generation = Scheduler.TrySubmit(new BatchRequest(promptIds, request.MaxTokens, request.Sampling, _served.EosTokenIds), cancellationToken)
                ?? throw new ApiException(429, "rate_limit_exceeded",
                    $"the server is busy: {Scheduler.Slots} generation(s) running and {_options.MaxQueuedRequests} waiting; retry later.", code: "server_busy");
            var header = new ResponseHeader((chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), _served.Id);
            if (request.Stream)
            {
                await StreamAsync(ctx, header, generation, work, chat, request.IncludeUsage, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var outcome = new GenerationOutcome();
                var text = new StringBuilder();
                await foreach (var delta in CompletionRunner.RunAsync(_served, generation, work, outcome, cancellationToken).ConfigureAwait(false))
                {
                    text.Append(delta);
                }

                var reply = new ParsedToolCalls(text.ToString(), []);
                if (parseToolCalls)
                {
                    reply = ToolCallParser.Parse(reply.Content);
                    if (reply.Calls.Count > 0)
                    {
                        outcome.FinishReason = "tool_calls";
                    }
                }

                await WriteJsonAsync(ctx, 200, OpenAiJson.Completion(header, chat, chunk: false, reply.Content, outcome.FinishReason, outcome, toolCalls: reply.Calls)).ConfigureAwait(false);
            }

            Statistics.AddCompleted();
        }
        catch (ApiException e)
        {
            Statistics.AddRejected();
            await TryWriteErrorAsync(ctx, e).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            Statistics.AddRejected();
            await TryWriteErrorAsync(ctx, e.StatusCode == 413
                ? new ApiException(413, "invalid_request_error", $"the request body is larger than this server's limit of {_options.MaxRequestBodyBytes} bytes.", code: "request_too_large")
                : new ApiException(e.StatusCode, "invalid_request_error", e.Message)).ConfigureAwait(false);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            Statistics.AddCancelled();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A fault of the server or the engine, not of the request: 500 with the reason, never a bare connection reset.
            await TryWriteErrorAsync(ctx, new ApiException(500, "server_error", $"generation failed: {e.GetType().Name}: {e.Message}")).ConfigureAwait(false);
        }
        finally
        {
            generation?.Dispose();
        }
    }

    private (int[] PromptIds, IReadOnlyList<string> Stops) Prepare(OpenAiRequest request, bool chat)
    {
        string prompt;
        IReadOnlyList<string> stops = request.Stop;
        try
        {
            prompt = chat ? _served.Template.Format(request.Messages!, request.ChatOptions) : request.Prompt!;
        }
        catch (TemplateException e)
        {
            throw ApiException.Invalid($"the model's chat template rejected the conversation: {e.Reason}", "messages");
        }

        if (chat && _served.Template.StopText.Length > 0 && !stops.Contains(_served.Template.StopText))
        {
            stops = [.. stops, _served.Template.StopText];
        }

        int[] ids = [.. _served.Codec.Encode(prompt, !chat || _served.Template.AddSpecialTokens)];
        if (ids.Length == 0)
        {
            throw ApiException.Invalid("the prompt is empty.", chat ? "messages" : "prompt");
        }

        if (_options.MaxPromptTokens is { } maxPrompt && ids.Length > maxPrompt)
        {
            throw ApiException.Invalid($"the prompt has {ids.Length} tokens; this server accepts at most {maxPrompt}.", chat ? "messages" : "prompt", "context_length_exceeded");
        }

        if (ids.Length + request.MaxTokens > _contextLength)
        {
            throw ApiException.Invalid($"the prompt ({ids.Length} tokens) plus max_tokens ({request.MaxTokens}) exceeds the model's context of {_contextLength} tokens.",
                "max_tokens", "context_length_exceeded");
        }

        return (ids, stops);
    }

    private async Task StreamAsync(HttpContext ctx, ResponseHeader header, ScheduledGeneration generation, GenerationRequest work, bool chat, bool includeUsage,
        CancellationToken cancellationToken)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        var outcome = new GenerationOutcome();
        if (chat)
        {
            await WriteEventAsync(ctx, OpenAiJson.Completion(header, chat, chunk: true, string.Empty, null, null, firstChunk: true), cancellationToken).ConfigureAwait(false);
        }

        var toolCalls = work.ParseToolCalls ? new ToolCallStreamFilter() : null;
        await foreach (var delta in CompletionRunner.RunAsync(_served, generation, work, outcome, cancellationToken).ConfigureAwait(false))
        {
            string content = toolCalls?.Push(delta) ?? delta;
            if (content.Length > 0)
            {
                await WriteEventAsync(ctx, OpenAiJson.Completion(header, chat, chunk: true, content, null, null), cancellationToken).ConfigureAwait(false);
            }
        }

        if (toolCalls?.Finish() is { } reply)
        {
            if (reply.Content.Length > 0)
            {
                await WriteEventAsync(ctx, OpenAiJson.Completion(header, chat, chunk: true, reply.Content, null, null), cancellationToken).ConfigureAwait(false);
            }

            if (reply.Calls.Count > 0)
            {
                outcome.FinishReason = "tool_calls";
                await WriteEventAsync(ctx, OpenAiJson.Completion(header, chat, chunk: true, null, null, null, toolCalls: reply.Calls), cancellationToken).ConfigureAwait(false);
            }
        }

        await WriteEventAsync(ctx, OpenAiJson.Completion(header, chat, chunk: true, chat ? null : string.Empty, outcome.FinishReason, null), cancellationToken).ConfigureAwait(false);
        if (includeUsage)
        {
            await WriteEventAsync(ctx, OpenAiJson.Completion(header, chat, chunk: true, null, null, outcome, noChoices: true), cancellationToken).ConfigureAwait(false);
        }

        await ctx.Response.Body.WriteAsync(DoneEvent, cancellationToken).ConfigureAwait(false);
        await ctx.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteEventAsync(HttpContext ctx, byte[] json, CancellationToken cancellationToken)
    {
        var body = ctx.Response.Body;
        await body.WriteAsync("data: "u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await body.WriteAsync(json, cancellationToken).ConfigureAwait(false);
        await body.WriteAsync("\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<JsonDocument> ReadJsonAsync(HttpContext ctx, CancellationToken cancellationToken)
    {
        if (ctx.Request.ContentLength > _options.MaxRequestBodyBytes)
        {
            throw new ApiException(413, "invalid_request_error", $"the request body ({ctx.Request.ContentLength} bytes) is larger than this server's limit of {_options.MaxRequestBodyBytes} bytes.", code: "request_too_large");
        }

        try
        {
            return await JsonDocument.ParseAsync(ctx.Request.Body, default, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw ApiException.Invalid($"the request body is not valid JSON: {e.Message}");
        }
    }

    private static async Task TryWriteErrorAsync(HttpContext ctx, ApiException e)
    {
        if (ctx.Response.HasStarted)
        {
            // Mid-stream failure: the status is already sent, so report it as a final event.
            await WriteEventAsync(ctx, OpenAiJson.Error(e), CancellationToken.None).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(ctx, e.Status, OpenAiJson.Error(e)).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpContext ctx, int status, byte[] json)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = json.Length;
        await ctx.Response.Body.WriteAsync(json, ctx.RequestAborted).ConfigureAwait(false);
    }
}
