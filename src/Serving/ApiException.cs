namespace UNComp.Serving;

/// <summary>A request the server refuses: becomes an HTTP status with an OpenAI-style JSON error body.</summary>
internal sealed class ApiException(int status, string type, string message, string? param = null, string? code = null) : Exception(message)
{
    /// <summary>HTTP status code (400, 401, 404, 413, 429, 500).</summary>
    public int Status { get; } = status;

    /// <summary>OpenAI error type, e.g. <c>invalid_request_error</c>.</summary>
    public string Type { get; } = type;

    /// <summary>The request field at fault, if any.</summary>
    public string? Param { get; } = param;

    /// <summary>A machine-readable code, e.g. <c>context_length_exceeded</c>.</summary>
    public string? Code { get; } = code;

    public static ApiException Invalid(string message, string? param = null, string? code = null) => new(400, "invalid_request_error", message, param, code);
}
