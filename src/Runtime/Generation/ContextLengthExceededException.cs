namespace UNComp.Runtime.Generation;

/// <summary>
/// Tokens would take a sequence past its limit: the <see cref="Generator.MaxLength"/> it was created with, which is
/// never more than the model's context (<c>max_position_embeddings</c> in config.json). The policy is to refuse,
/// never to truncate silently: the caller decides what to drop. Nothing was run and the generator is unchanged.
/// </summary>
public sealed class ContextLengthExceededException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public ContextLengthExceededException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ContextLengthExceededException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ContextLengthExceededException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Tokens the sequence would hold.</summary>
    public int RequestedTokens { get; init; }

    /// <summary>Tokens it may hold.</summary>
    public int Limit { get; init; }
}
