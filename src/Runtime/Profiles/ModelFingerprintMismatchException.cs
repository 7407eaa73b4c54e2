namespace UNComp.Runtime.Profiles;

/// <summary>A profile was applied to a model whose fingerprint differs from the one it was calibrated on.</summary>
public sealed class ModelFingerprintMismatchException : Exception
{
    /// <summary>Creates the exception; the message prints both fingerprints.</summary>
    public ModelFingerprintMismatchException(string expected, string actual, string profileSource, string modelSource)
        : base($"{profileSource}: $.model.fingerprint is {expected}, but {modelSource} has {actual}. " +
               "The profile was calibrated for another model (dimensions or weight index differ). " +
               "Fix: use the profile made for this model, or run `uncomp calibrate` on it.")
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>Creates the exception.</summary>
    public ModelFingerprintMismatchException()
        : this(string.Empty, string.Empty, "profile", "model")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ModelFingerprintMismatchException(string message)
        : base(message)
    {
        Expected = Actual = string.Empty;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ModelFingerprintMismatchException(string message, Exception inner)
        : base(message, inner)
    {
        Expected = Actual = string.Empty;
    }

    /// <summary>Fingerprint recorded in the profile.</summary>
    public string Expected { get; }

    /// <summary>Fingerprint of the model at hand.</summary>
    public string Actual { get; }
}
