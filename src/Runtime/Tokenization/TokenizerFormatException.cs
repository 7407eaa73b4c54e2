namespace UNComp.Runtime.Tokenization;

/// <summary>
/// A tokenizer.json file is malformed or uses a feature this implementation does not support.
/// The message names the source file and the JSON path of the offending value, e.g.
/// <c>tokenizer.json: $.model.merges[12]: expected "a b" or ["a","b"]</c>.
/// </summary>
public sealed class TokenizerFormatException : FormatException
{
    /// <summary>Creates an exception for <paramref name="jsonPath"/> in <paramref name="sourceName"/>.</summary>
    public TokenizerFormatException(string sourceName, string jsonPath, string problem)
        : base($"{sourceName}: {jsonPath}: {problem}")
    {
        SourceName = sourceName;
        JsonPath = jsonPath;
    }

    /// <summary>Creates an exception with a plain message.</summary>
    public TokenizerFormatException() : this("tokenizer.json", "$", "malformed tokenizer")
    {
    }

    /// <summary>Creates an exception with a plain message.</summary>
    public TokenizerFormatException(string message) : base(message)
    {
        SourceName = "tokenizer.json";
        JsonPath = "$";
    }

    /// <summary>Creates an exception with a plain message and an inner exception.</summary>
    public TokenizerFormatException(string message, Exception innerException) : base(message, innerException)
    {
        SourceName = "tokenizer.json";
        JsonPath = "$";
    }

    /// <summary>The file (or other source name) the JSON came from.</summary>
    public string SourceName { get; }

    /// <summary>The JSON path of the offending value, e.g. <c>$.model.merges[12]</c>.</summary>
    public string JsonPath { get; }
}
