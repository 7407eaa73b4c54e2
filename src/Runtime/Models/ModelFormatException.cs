namespace UNComp.Runtime.Models;

/// <summary>
/// A model file (config.json, generation_config.json, *.safetensors, model.safetensors.index.json) is malformed
/// or describes something this runtime does not support. The message names the file, the field or tensor, the
/// problem and, where there is one, the fix.
/// </summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ModelFormatException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public ModelFormatException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The file the problem was found in, when known.</summary>
    public string? FilePath { get; init; }

    internal static ModelFormatException For(string file, string problem, Exception? inner = null)
    {
        string message = $"{file}: {problem}";
        return inner is null
            ? new ModelFormatException(message) { FilePath = file }
            : new ModelFormatException(message, inner) { FilePath = file };
    }
}
