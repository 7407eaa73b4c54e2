using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace UNComp.Generators.Json
{
    /// <summary>
    /// A small strict JSON reader (RFC 8259, no comments, no trailing commas) that records the line and column of
    /// every value. The analyzer carries no JSON library; this is all the profile format needs.
    /// </summary>
    internal sealed class JsonDocumentReader
    {
        private const int MaxDepth = 64;

        private readonly string _text;
        private int _position;
        private int _line;
        private int _lineStart;

        private JsonDocumentReader(string text)
        {
            _text = text;
            if (_text.Length > 0 && _text[0] == '\uFEFF')
            {
                _position = 1;
                _lineStart = 0;
            }
        }

        /// <summary>Parses <paramref name="text"/> into a tree; throws <see cref="JsonSyntaxException"/> on malformed input.</summary>
        public static JsonNode Parse(string text)
        {
            var reader = new JsonDocumentReader(text);
            reader.SkipWhitespace();
            JsonNode root = reader.ReadValue("$", 0);
            reader.SkipWhitespace();
            if (reader._position < reader._text.Length)
            {
                throw reader.Error("unexpected text after the end of the JSON document", reader.Mark(), 1);
            }

            return root;
        }

        private readonly struct Marker
        {
            public Marker(int offset, int line, int column)
            {
                Offset = offset;
                Line = line;
                Column = column;
            }

            public int Offset { get; }

            public int Line { get; }

            public int Column { get; }
        }

        private Marker Mark() => new Marker(_position, _line, _position - _lineStart);

        private TextRange RangeFrom(Marker start)
        {
            Marker end = Mark();
            return new TextRange(
                TextSpan.FromBounds(start.Offset, end.Offset),
                new LinePositionSpan(new LinePosition(start.Line, start.Column), new LinePosition(end.Line, end.Column)));
        }

        private JsonSyntaxException Error(string message, Marker at, int length)
        {
            length = System.Math.Max(0, System.Math.Min(length, _text.Length - at.Offset));
            var range = new TextRange(
                new TextSpan(at.Offset, length),
                new LinePositionSpan(new LinePosition(at.Line, at.Column), new LinePosition(at.Line, at.Column + length)));
            return new JsonSyntaxException(message, range);
        }

        private JsonSyntaxException Unexpected(string expected)
        {
            if (_position >= _text.Length)
            {
                return Error("unexpected end of file, expected " + expected, Mark(), 0);
            }

            return Error(
                "unexpected character '" + Printable(_text[_position]) + "', expected " + expected,
                Mark(),
                1);
        }

        private static string Printable(char c)
            => c < ' ' ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c.ToString();

        private void SkipWhitespace()
        {
            while (_position < _text.Length)
            {
                char c = _text[_position];
                if (c == ' ' || c == '\t')
                {
                    _position++;
                }
                else if (c == '\n')
                {
                    _position++;
                    NewLine();
                }
                else if (c == '\r')
                {
                    _position++;
                    if (_position < _text.Length && _text[_position] == '\n')
                    {
                        _position++;
                    }

                    NewLine();
                }
                else
                {
                    return;
                }
            }
        }

        private void NewLine()
        {
            _line++;
            _lineStart = _position;
        }

        private JsonNode ReadValue(string path, int depth)
        {
            if (_position >= _text.Length)
            {
                throw Unexpected("a value");
            }

            char c = _text[_position];
            switch (c)
            {
                case '{':
                    return ReadObject(path, depth);
                case '[':
                    return ReadArray(path, depth);
                case '"':
                    {
                        Marker start = Mark();
                        string value = ReadString();
                        return new JsonNode(JsonKind.String, path, RangeFrom(start), value);
                    }

                case 't':
                    return ReadLiteral(path, "true", JsonKind.True);
                case 'f':
                    return ReadLiteral(path, "false", JsonKind.False);
                case 'n':
                    return ReadLiteral(path, "null", JsonKind.Null);
                default:
                    if (c == '-' || (c >= '0' && c <= '9'))
                    {
                        return ReadNumber(path);
                    }

                    throw Unexpected("a value");
            }
        }

        private JsonNode ReadObject(string path, int depth)
        {
            Marker start = Mark();
            if (depth >= MaxDepth)
            {
                throw Error("nesting deeper than " + MaxDepth + " levels", start, 1);
            }

            _position++;
            var properties = new List<JsonProperty>();
            var seen = new HashSet<string>();
            SkipWhitespace();
            if (_position < _text.Length && _text[_position] == '}')
            {
                _position++;
                return new JsonNode(JsonKind.Object, path, RangeFrom(start), string.Empty, properties);
            }

            while (true)
            {
                SkipWhitespace();
                if (_position >= _text.Length || _text[_position] != '"')
                {
                    throw Unexpected("a property name in double quotes");
                }

                Marker nameStart = Mark();
                string name = ReadString();
                TextRange nameRange = RangeFrom(nameStart);
                if (!seen.Add(name))
                {
                    throw new JsonSyntaxException("duplicate property \"" + name + "\" in " + path, nameRange);
                }

                SkipWhitespace();
                Expect(':');
                SkipWhitespace();
                JsonNode value = ReadValue(path + "." + name, depth + 1);
                properties.Add(new JsonProperty(name, nameRange, value));
                SkipWhitespace();
                if (_position < _text.Length && _text[_position] == ',')
                {
                    _position++;
                    continue;
                }

                if (_position < _text.Length && _text[_position] == '}')
                {
                    _position++;
                    return new JsonNode(JsonKind.Object, path, RangeFrom(start), string.Empty, properties);
                }

                throw Unexpected("',' or '}'");
            }
        }

        private JsonNode ReadArray(string path, int depth)
        {
            Marker start = Mark();
            if (depth >= MaxDepth)
            {
                throw Error("nesting deeper than " + MaxDepth + " levels", start, 1);
            }

            _position++;
            var items = new List<JsonNode>();
            SkipWhitespace();
            if (_position < _text.Length && _text[_position] == ']')
            {
                _position++;
                return new JsonNode(JsonKind.Array, path, RangeFrom(start), string.Empty, items: items);
            }

            while (true)
            {
                SkipWhitespace();
                items.Add(ReadValue(path + "[" + items.Count.ToString(CultureInfo.InvariantCulture) + "]", depth + 1));
                SkipWhitespace();
                if (_position < _text.Length && _text[_position] == ',')
                {
                    _position++;
                    continue;
                }

                if (_position < _text.Length && _text[_position] == ']')
                {
                    _position++;
                    return new JsonNode(JsonKind.Array, path, RangeFrom(start), string.Empty, items: items);
                }

                throw Unexpected("',' or ']'");
            }
        }

        private void Expect(char c)
        {
            if (_position >= _text.Length || _text[_position] != c)
            {
                throw Unexpected("'" + c + "'");
            }

            _position++;
        }

        private JsonNode ReadLiteral(string path, string literal, JsonKind kind)
        {
            Marker start = Mark();
            if (string.CompareOrdinal(_text, _position, literal, 0, literal.Length) != 0)
            {
                throw Unexpected("a value");
            }

            _position += literal.Length;
            return new JsonNode(kind, path, RangeFrom(start), literal);
        }

        private JsonNode ReadNumber(string path)
        {
            Marker start = Mark();
            if (Peek() == '-')
            {
                _position++;
            }

            if (Peek() == '0')
            {
                _position++;
            }
            else if (IsDigit(Peek()))
            {
                SkipDigits();
            }
            else
            {
                throw Unexpected("a digit");
            }

            if (Peek() == '.')
            {
                _position++;
                if (!IsDigit(Peek()))
                {
                    throw Unexpected("a digit after the decimal point");
                }

                SkipDigits();
            }

            if (Peek() == 'e' || Peek() == 'E')
            {
                _position++;
                if (Peek() == '+' || Peek() == '-')
                {
                    _position++;
                }

                if (!IsDigit(Peek()))
                {
                    throw Unexpected("a digit in the exponent");
                }

                SkipDigits();
            }

            string raw = _text.Substring(start.Offset, _position - start.Offset);
            return new JsonNode(JsonKind.Number, path, RangeFrom(start), raw);
        }

        private char Peek() => _position < _text.Length ? _text[_position] : '\0';

        private static bool IsDigit(char c) => c >= '0' && c <= '9';

        private void SkipDigits()
        {
            while (IsDigit(Peek()))
            {
                _position++;
            }
        }

        private string ReadString()
        {
            Marker start = Mark();
            _position++; // opening quote
            var builder = new StringBuilder();
            while (true)
            {
                if (_position >= _text.Length)
                {
                    throw Error("unterminated string", start, 1);
                }

                char c = _text[_position];
                if (c == '"')
                {
                    _position++;
                    return builder.ToString();
                }

                if (c == '\n' || c == '\r')
                {
                    throw Error("unterminated string (a line break before the closing quote)", start, 1);
                }

                if (c < ' ')
                {
                    throw Error("control character in string (escape it)", Mark(), 1);
                }

                if (c != '\\')
                {
                    builder.Append(c);
                    _position++;
                    continue;
                }

                Marker escape = Mark();
                _position++;
                char e = Peek();
                _position++;
                switch (e)
                {
                    case '"': builder.Append('"'); break;
                    case '\\': builder.Append('\\'); break;
                    case '/': builder.Append('/'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    case 'n': builder.Append('\n'); break;
                    case 'r': builder.Append('\r'); break;
                    case 't': builder.Append('\t'); break;
                    case 'u':
                        if (_position + 4 > _text.Length
                            || !int.TryParse(_text.Substring(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                        {
                            throw Error("invalid \\u escape (expected 4 hex digits)", escape, 2);
                        }

                        builder.Append((char)code);
                        _position += 4;
                        break;
                    default:
                        throw Error("invalid escape sequence in string", escape, 2);
                }
            }
        }
    }
}
