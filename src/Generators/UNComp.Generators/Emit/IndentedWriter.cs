using System;
using System.Text;

namespace UNComp.Generators.Emit
{
    /// <summary>
    /// Builds C# source line by line with four-space indentation and <c>\n</c> line endings, so generated
    /// files are identical on every OS and read like hand-written code in snapshot reviews.
    /// </summary>
    internal sealed class IndentedWriter
    {
        private readonly StringBuilder _builder = new StringBuilder();
        private int _depth;

        public void Line(string text = "")
        {
            if (text.Length > 0)
            {
                _builder.Append(' ', _depth * 4);
                _builder.Append(text);
            }

            _builder.Append('\n');
        }

        /// <summary>Writes <paramref name="header"/>, an opening brace, and indents until the returned scope is disposed.</summary>
        public Scope Block(string header)
        {
            Line(header);
            Line("{");
            _depth++;
            return new Scope(this);
        }

        /// <summary>A one-line XML summary.</summary>
        public void Summary(string text) => Line("/// <summary>" + text + "</summary>");

        public override string ToString() => _builder.ToString();

        /// <summary>Closes a block opened by <see cref="Block"/>.</summary>
        public readonly struct Scope : IDisposable
        {
            private readonly IndentedWriter _writer;

            public Scope(IndentedWriter writer) => _writer = writer;

            public void Dispose()
            {
                _writer._depth--;
                _writer.Line("}");
            }
        }
    }
}
