namespace UNComp.Runtime.Generation;

/// <summary>
/// A forward pass produced NaN or infinite logits, so no token can be chosen: the weights hold non-finite values
/// (see <see cref="Models.ModelLoadOptions.CheckFiniteWeights"/>) or the activations overflowed fp32. The
/// <see cref="Generator"/> that saw it stops and refuses further calls.
/// </summary>
public sealed class NonFiniteLogitsException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteLogitsException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NonFiniteLogitsException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public NonFiniteLogitsException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The sequence position whose logits were non-finite.</summary>
    public int Position { get; init; }
}
