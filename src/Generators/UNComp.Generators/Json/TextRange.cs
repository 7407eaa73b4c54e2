using Microsoft.CodeAnalysis.Text;

namespace UNComp.Generators.Json
{
    /// <summary>Where a JSON token sits in the file: character span plus zero-based line/column span.</summary>
    internal readonly struct TextRange
    {
        public TextRange(TextSpan span, LinePositionSpan lines)
        {
            Span = span;
            Lines = lines;
        }

        public TextSpan Span { get; }

        public LinePositionSpan Lines { get; }

        /// <summary>The first character only: used to point at an object's opening brace rather than its whole body.</summary>
        public TextRange FirstCharacter()
            => new TextRange(
                new TextSpan(Span.Start, Span.Length > 0 ? 1 : 0),
                new LinePositionSpan(Lines.Start, new LinePosition(Lines.Start.Line, Lines.Start.Character + (Span.Length > 0 ? 1 : 0))));
    }
}
