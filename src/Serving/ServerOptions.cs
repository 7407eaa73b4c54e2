using System.Net;

namespace UNComp.Serving;

/// <summary>Settings of an <see cref="OpenAiServer"/>: where it listens, who may call it, and its request limits.</summary>
public sealed record ServerOptions
{
    /// <summary>Address to bind; loopback (127.0.0.1) unless told otherwise. Any other address requires <see cref="ApiKey"/>.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (see <see cref="OpenAiServer.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>When set, every request must send <c>Authorization: Bearer &lt;key&gt;</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest request body accepted (413 above).</summary>
    public long MaxRequestBodyBytes { get; init; } = 1 << 20;

    /// <summary>Largest <c>max_tokens</c> a request may ask for (400 above).</summary>
    public int MaxTokensLimit { get; init; } = 2048;

    /// <summary>Tokens generated when a request gives no <c>max_tokens</c>.</summary>
    public int DefaultMaxTokens { get; init; } = 256;

    /// <summary>Longest prompt accepted in tokens; null = the model's context (prompt + max_tokens must fit either way).</summary>
    public int? MaxPromptTokens { get; init; }

    /// <summary>Generations that run at once. 1 on CPU; batch slots of a batched engine would raise it.</summary>
    public int GenerationSlots { get; init; } = 1;

    /// <summary>Requests that may wait for a slot; one more is refused with 429.</summary>
    public int MaxQueuedRequests { get; init; } = 8;

    /// <summary>Checks the settings; binding beyond loopback without an API key is refused.</summary>
    /// <exception cref="ArgumentException">A setting is out of range, or a non-loopback bind has no API key.</exception>
    public void Validate()
    {
        if (!IPAddress.TryParse(Host, out var address) && Host != "localhost")
        {
            throw new ArgumentException($"--host \"{Host}\" is not an IP address; use 127.0.0.1 (default), ::1, 0.0.0.0 or a local interface address.");
        }

        bool loopback = Host == "localhost" || IPAddress.IsLoopback(address!);
        if (!loopback && string.IsNullOrEmpty(ApiKey))
        {
            throw new ArgumentException($"binding to {Host} exposes the server beyond this machine; set an API key (--api-key or UNCOMP_API_KEY) so requests need 'Authorization: Bearer <key>'.");
        }

        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"--port {Port} must be in 0..65535 (0 = any free port).");
        }

        if (MaxRequestBodyBytes < 1024 || MaxTokensLimit < 1 || DefaultMaxTokens < 1 || GenerationSlots < 1 || MaxQueuedRequests < 0
            || MaxPromptTokens is < 1)
        {
            throw new ArgumentException("server limits must be positive (body ≥ 1024 bytes, max tokens ≥ 1, slots ≥ 1, queue ≥ 0).");
        }

        if (DefaultMaxTokens > MaxTokensLimit)
        {
            throw new ArgumentException($"the default max_tokens {DefaultMaxTokens} exceeds the limit {MaxTokensLimit}.");
        }
    }
}
