using System;

namespace UNComp.Generators.Json
{
    /// <summary>Malformed JSON at a known position. Caught by the parser and turned into UNC0001; never leaves the generator.</summary>
    internal sealed class JsonSyntaxException : Exception
    {
        public JsonSyntaxException(string message, TextRange range)
            : base(message)
        {
            Range = range;
        }

        public TextRange Range { get; }
    }
}
