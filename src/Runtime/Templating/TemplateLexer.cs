using System.Globalization;
using System.Text;

namespace UNComp.Runtime.Templating;

/// <summary>
/// Splits a Jinja template into tokens with the environment transformers uses for chat templates:
/// <c>trim_blocks</c> (the newline after a block tag is dropped), <c>lstrip_blocks</c> (spaces before a block tag
/// at the start of a line are dropped), <c>-</c>/<c>+</c> whitespace control, comments removed, and the single
/// trailing newline of the source dropped (<c>keep_trailing_newline=False</c>).
/// </summary>
internal sealed class TemplateLexer
{
    private static readonly string[] Operators =
        ["==", "!=", "<=", ">=", "//", "**", "<", ">", "+", "-", "*", "/", "%", "~", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}", "="];

    private readonly string _source;
    private readonly string _name;
    private readonly List<TemplateToken> _tokens = [];
    private int _pos;
    private int _line = 1;

    private TemplateLexer(string source, string name)
    {
        _source = source.EndsWith('\n') ? source[..^1] : source;
        _name = name;
    }

    /// <summary>Tokenizes <paramref name="source"/>; <paramref name="name"/> labels errors.</summary>
    public static List<TemplateToken> Tokenize(string source, string name)
    {
        var lexer = new TemplateLexer(source.Replace("\r\n", "\n", StringComparison.Ordinal), name);
        lexer.Run();
        return lexer._tokens;
    }

    private void Run()
    {
        bool stripNextText = false;
        bool lineStarting = true;
        while (_pos < _source.Length)
        {
            int tagStart = FindTagStart(_pos);
            string text = _source[_pos..(tagStart < 0 ? _source.Length : tagStart)];
            int textLine = _line;
            _line += Count(text, '\n');
            _pos += text.Length;
            if (stripNextText)
            {
                text = text.TrimStart();
            }

            if (tagStart < 0)
            {
                AddText(text, textLine);
                break;
            }

            char kind = _source[tagStart + 1];
            char sign = tagStart + 2 < _source.Length ? _source[tagStart + 2] : '\0';
            if (sign == '-')
            {
                text = text.TrimEnd();
            }
            else if (sign != '+' && kind != '{')
            {
                // lstrip_blocks: drop the indentation before a block tag or comment that starts its line.
                int lineStart = text.LastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && IsBlank(text, lineStart))
                {
                    text = text[..lineStart];
                }
            }

            AddText(text, textLine);
            _pos = tagStart + 2 + (sign is '-' or '+' ? 1 : 0);
            string consumedAfter;
            if (kind == '#')
            {
                int close = _source.IndexOf("#}", _pos, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new TemplateException(_name, _line, "comment '{#' is never closed with '#}'");
                }

                bool strip = _source[close - 1] == '-' && close - 1 >= _pos;
                _line += Count(_source.AsSpan(_pos, close - _pos), '\n');
                _pos = close + 2;
                consumedAfter = ConsumeAfterTag(strip, trimBlock: _source[close - 1] != '+');
                stripNextText = false;
            }
            else
            {
                bool isBlock = kind == '%';
                _tokens.Add(new TemplateToken(isBlock ? TokenKind.BlockStart : TokenKind.VariableStart, isBlock ? "{%" : "{{", _line));
                bool strip = LexInside(isBlock ? '%' : '}', out bool keep);
                _tokens.Add(new TemplateToken(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, isBlock ? "%}" : "}}", _line));
                consumedAfter = ConsumeAfterTag(strip, trimBlock: isBlock && !keep);
                stripNextText = false;
            }

            lineStarting = consumedAfter.EndsWith('\n');
        }

        _tokens.Add(new TemplateToken(TokenKind.End, string.Empty, _line));
    }

    /// <summary>After a tag: '-' strips all following whitespace; trim_blocks drops one newline after a block tag.</summary>
    private string ConsumeAfterTag(bool strip, bool trimBlock)
    {
        int start = _pos;
        if (strip)
        {
            while (_pos < _source.Length && char.IsWhiteSpace(_source[_pos]))
            {
                _pos++;
            }
        }
        else if (trimBlock && _pos < _source.Length && _source[_pos] == '\n')
        {
            _pos++;
        }

        string consumed = _source[start.._pos];
        _line += Count(consumed, '\n');
        return consumed;
    }

    private void AddText(string text, int line)
    {
        if (text.Length > 0)
        {
            _tokens.Add(new TemplateToken(TokenKind.Text, text, line));
        }
    }

    private int FindTagStart(int from)
    {
        for (int i = _source.IndexOf('{', from); i >= 0 && i + 1 < _source.Length; i = _source.IndexOf('{', i + 1))
        {
            char next = _source[i + 1];
            if (next is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Lexes the expression tokens of a tag up to its closing delimiter; returns whether it ends with '-'.</summary>
    private bool LexInside(char closeFirst, out bool keep)
    {
        keep = false;
        int openLine = _line;
        while (true)
        {
            while (_pos < _source.Length && char.IsWhiteSpace(_source[_pos]))
            {
                if (_source[_pos] == '\n')
                {
                    _line++;
                }

                _pos++;
            }

            if (_pos >= _source.Length)
            {
                throw new TemplateException(_name, openLine, closeFirst == '%' ? "block tag '{%' is never closed with '%}'" : "expression '{{' is never closed with '}}'");
            }

            char c = _source[_pos];
            if ((c is '-' or '+') && At(_pos + 1, closeFirst) && At(_pos + 2, '}'))
            {
                _pos += 3;
                keep = c == '+';
                return c == '-';
            }

            if (c == closeFirst && At(_pos + 1, '}'))
            {
                // "}}" closes an expression unless a dict literal is open; the parser checks balance, so a "}}" inside
                // "{{ {'a': {'b': 1}} }}" is split only when it really ends the tag.
                if (closeFirst != '}' || !InsideOpenBrace())
                {
                    _pos += 2;
                    return false;
                }
            }

            if (char.IsLetter(c) || c == '_')
            {
                int start = _pos;
                while (_pos < _source.Length && (char.IsLetterOrDigit(_source[_pos]) || _source[_pos] == '_'))
                {
                    _pos++;
                }

                _tokens.Add(new TemplateToken(TokenKind.Name, _source[start.._pos], _line));
            }
            else if (char.IsAsciiDigit(c))
            {
                LexNumber();
            }
            else if (c is '\'' or '"')
            {
                LexString(c);
            }
            else
            {
                string? op = null;
                foreach (var candidate in Operators)
                {
                    if (string.CompareOrdinal(_source, _pos, candidate, 0, candidate.Length) == 0)
                    {
                        op = candidate;
                        break;
                    }
                }

                if (op is null)
                {
                    throw new TemplateException(_name, _line, $"unexpected character '{c}' inside a tag");
                }

                _tokens.Add(new TemplateToken(TokenKind.Operator, op, _line));
                _pos += op.Length;
            }
        }
    }

    private bool InsideOpenBrace()
    {
        int depth = 0;
        for (int i = _tokens.Count - 1; i >= 0 && _tokens[i].Kind != TokenKind.VariableStart; i--)
        {
            if (_tokens[i].IsOperator("{"))
            {
                depth++;
            }
            else if (_tokens[i].IsOperator("}"))
            {
                depth--;
            }
        }

        return depth > 0;
    }

    private bool At(int index, char c) => index < _source.Length && _source[index] == c;

    private void LexNumber()
    {
        int start = _pos;
        while (_pos < _source.Length && (char.IsAsciiDigit(_source[_pos]) || _source[_pos] == '_'))
        {
            _pos++;
        }

        bool isFloat = false;
        if (_pos + 1 < _source.Length && _source[_pos] == '.' && char.IsAsciiDigit(_source[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            while (_pos < _source.Length && char.IsAsciiDigit(_source[_pos]))
            {
                _pos++;
            }
        }

        if (_pos < _source.Length && _source[_pos] is 'e' or 'E')
        {
            int save = _pos++;
            if (_pos < _source.Length && _source[_pos] is '+' or '-')
            {
                _pos++;
            }

            if (_pos < _source.Length && char.IsAsciiDigit(_source[_pos]))
            {
                isFloat = true;
                while (_pos < _source.Length && char.IsAsciiDigit(_source[_pos]))
                {
                    _pos++;
                }
            }
            else
            {
                _pos = save;
            }
        }

        string text = _source[start.._pos].Replace("_", string.Empty, StringComparison.Ordinal);
        _tokens.Add(new TemplateToken(isFloat ? TokenKind.Float : TokenKind.Integer, text, _line));
    }

    private void LexString(char quote)
    {
        int line = _line;
        var sb = new StringBuilder();
        _pos++;
        while (true)
        {
            if (_pos >= _source.Length)
            {
                throw new TemplateException(_name, line, $"string starting with {quote} is never closed");
            }

            char c = _source[_pos++];
            if (c == quote)
            {
                break;
            }

            if (c == '\n')
            {
                _line++;
            }

            if (c != '\\' || _pos >= _source.Length)
            {
                sb.Append(c);
                continue;
            }

            char e = _source[_pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case '0': sb.Append('\0'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case '\n': _line++; break;
                case 'u' when _pos + 4 <= _source.Length:
                    sb.Append((char)int.Parse(_source.AsSpan(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    _pos += 4;
                    break;
                case 'x' when _pos + 2 <= _source.Length:
                    sb.Append((char)int.Parse(_source.AsSpan(_pos, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    _pos += 2;
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }

        _tokens.Add(new TemplateToken(TokenKind.String, sb.ToString(), line));
    }

    private static bool IsBlank(string text, int from)
    {
        for (int i = from; i < text.Length; i++)
        {
            if (text[i] is not (' ' or '\t'))
            {
                return false;
            }
        }

        return true;
    }

    private static int Count(ReadOnlySpan<char> text, char c)
    {
        int n = 0;
        foreach (char x in text)
        {
            n += x == c ? 1 : 0;
        }

        return n;
    }
}
