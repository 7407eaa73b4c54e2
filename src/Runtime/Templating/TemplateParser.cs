namespace UNComp.Runtime.Templating;

/// <summary>
/// Recursive-descent parser for the Jinja subset chat templates use, with Jinja's operator precedence
/// (conditional &lt; or &lt; and &lt; not &lt; comparisons/in &lt; + - &lt; ~ &lt; * / // % &lt; ** &lt; unary &lt;
/// postfix . [] () &lt; filters and tests). Unknown tags, filters and tests fail here, naming the line.
/// </summary>
internal sealed partial class TemplateParser
{
    private static readonly HashSet<string> Keywords = ["and", "or", "not", "in", "is", "if", "else", "elif", "for", "recursive"];
    private static readonly HashSet<string> Unsupported = ["include", "import", "from", "extends", "block", "call", "raw", "with", "autoescape", "do", "trans"];

    private readonly List<TemplateToken> _tokens;
    private readonly string _name;
    private int _pos;

    private TemplateParser(List<TemplateToken> tokens, string name)
    {
        _tokens = tokens;
        _name = name;
    }

    /// <summary>Parses a template source into its statement list.</summary>
    public static IReadOnlyList<Node> Parse(string source, string name)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source, name), name);
        var body = parser.ParseBody(out var end);
        if (end is not null)
        {
            throw parser.Error(end.Value.Line, $"'{{% {end.Value.Value} %}}' without a matching opening tag");
        }

        return body;
    }

    private TemplateToken Current => _tokens[_pos];

    private TemplateException Error(int line, string reason) => new(_name, line, reason);

    /// <summary>Parses statements until the end or an end/else tag, which is returned (its name token consumed).</summary>
    private List<Node> ParseBody(out TemplateToken? stopTag, params string[] stops)
    {
        var nodes = new List<Node>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.End:
                    if (stops.Length > 0)
                    {
                        throw Error(token.Line, $"the template ends before '{{% {stops[0]} %}}'");
                    }

                    stopTag = null;
                    return nodes;
                case TokenKind.Text:
                    nodes.Add(new TextNode(token.Value, token.Line));
                    _pos++;
                    break;
                case TokenKind.VariableStart:
                    _pos++;
                    var value = ParseExpression();
                    Expect(TokenKind.VariableEnd, "}}");
                    nodes.Add(new OutputNode(value, token.Line));
                    break;
                case TokenKind.BlockStart:
                    var tag = _tokens[_pos + 1];
                    if (tag.Kind == TokenKind.Name && (stops.Contains(tag.Value) || tag.Value.StartsWith("end", StringComparison.Ordinal)
                        || tag.Value is "else" or "elif"))
                    {
                        _pos += 2;
                        stopTag = tag;
                        return nodes;
                    }

                    _pos++;
                    nodes.Add(ParseStatement());
                    break;
                default:
                    throw Error(token.Line, $"unexpected {token}");
            }
        }
    }

    private Node ParseStatement()
    {
        var tag = Current;
        if (tag.Kind != TokenKind.Name)
        {
            throw Error(tag.Line, $"expected a tag name after '{{%', found {tag}");
        }

        _pos++;
        switch (tag.Value)
        {
            case "if": return ParseIf(tag.Line);
            case "for": return ParseFor(tag.Line);
            case "set": return ParseSet(tag.Line);
            case "macro": return ParseMacro(tag.Line);
            case "break": EndTag(); return new BreakNode(tag.Line);
            case "continue": EndTag(); return new ContinueNode(tag.Line);
            case "generation":
                EndTag();
                return new GenerationNode(ParseBlock("endgeneration", tag.Line), tag.Line);
            case "filter":
                var filter = ExpectName();
                if (!TemplateFilters.IsKnown(filter))
                {
                    throw Error(tag.Line, $"unsupported filter '{filter}'");
                }

                EndTag();
                return new FilterBlockNode(filter, ParseBlock("endfilter", tag.Line), tag.Line);
            default:
                throw Error(tag.Line, Unsupported.Contains(tag.Value)
                    ? $"'{{% {tag.Value} %}}' is not supported by the chat-template subset (supported tags: if, for, set, macro, break, continue, filter, generation)"
                    : $"unknown tag '{{% {tag.Value} %}}'");
        }
    }

    private List<Node> ParseBlock(string end, int line)
    {
        var body = ParseBody(out var stop, end);
        if (stop?.Value != end)
        {
            throw Error(stop?.Line ?? line, $"expected '{{% {end} %}}' to close the tag of line {line}, found '{{% {stop?.Value} %}}'");
        }

        EndTag();
        return body;
    }

    private IfNode ParseIf(int line)
    {
        var branches = new List<(Expr, IReadOnlyList<Node>)>();
        var condition = ParseExpression();
        EndTag();
        while (true)
        {
            var body = ParseBody(out var stop, "endif");
            branches.Add((condition, body));
            switch (stop?.Value)
            {
                case "elif":
                    condition = ParseExpression();
                    EndTag();
                    continue;
                case "else":
                    EndTag();
                    var elseBody = ParseBody(out var end, "endif");
                    if (end?.Value != "endif")
                    {
                        throw Error(end?.Line ?? line, $"expected '{{% endif %}}' for the 'if' of line {line}");
                    }

                    EndTag();
                    return new IfNode(branches, elseBody, line);
                case "endif":
                    EndTag();
                    return new IfNode(branches, null, line);
                default:
                    throw Error(stop?.Line ?? line, $"expected '{{% endif %}}' for the 'if' of line {line}, found '{{% {stop?.Value} %}}'");
            }
        }
    }

    private ForNode ParseFor(int line)
    {
        var targets = new List<string> { ExpectName() };
        while (Current.IsOperator(","))
        {
            _pos++;
            targets.Add(ExpectName());
        }

        if (!Current.IsName("in"))
        {
            throw Error(Current.Line, $"expected 'in' in the for loop, found {Current}");
        }

        _pos++;
        var iterable = ParseOr();
        Expr? filter = null;
        if (Current.IsName("if"))
        {
            _pos++;
            filter = ParseOr();
        }

        if (Current.IsName("recursive"))
        {
            throw Error(line, "recursive for loops are not supported");
        }

        EndTag();
        var body = ParseBody(out var stop, "endfor");
        IReadOnlyList<Node>? elseBody = null;
        if (stop?.Value == "else")
        {
            EndTag();
            elseBody = ParseBody(out stop, "endfor");
        }

        if (stop?.Value != "endfor")
        {
            throw Error(stop?.Line ?? line, $"expected '{{% endfor %}}' for the 'for' of line {line}, found '{{% {stop?.Value} %}}'");
        }

        EndTag();
        return new ForNode(targets, iterable, filter, body, elseBody, line);
    }

    private SetNode ParseSet(int line)
    {
        var targets = new List<string> { ExpectName() };
        string? attribute = null;
        if (Current.IsOperator("."))
        {
            _pos++;
            attribute = ExpectName();
        }

        while (attribute is null && Current.IsOperator(","))
        {
            _pos++;
            targets.Add(ExpectName());
        }

        if (Current.Kind == TokenKind.BlockEnd && attribute is null && targets.Count == 1)
        {
            _pos++;
            return new SetNode(targets, null, null, ParseBlock("endset", line), line);
        }

        if (!Current.IsOperator("="))
        {
            throw Error(Current.Line, $"expected '=' in set, found {Current}");
        }

        _pos++;
        var value = ParseTuple();
        EndTag();
        return new SetNode(targets, attribute, value, null, line);
    }

    private MacroNode ParseMacro(int line)
    {
        string name = ExpectName();
        Expect(TokenKind.Operator, "(");
        var parameters = new List<(string, Expr?)>();
        while (!Current.IsOperator(")"))
        {
            string p = ExpectName();
            Expr? defaultValue = null;
            if (Current.IsOperator("="))
            {
                _pos++;
                defaultValue = ParseExpression();
            }

            parameters.Add((p, defaultValue));
            if (!Current.IsOperator(","))
            {
                break;
            }

            _pos++;
        }

        Expect(TokenKind.Operator, ")");
        EndTag();
        return new MacroNode(name, parameters, ParseBlock("endmacro", line), line);
    }

    private void EndTag() => Expect(TokenKind.BlockEnd, "%}");

    private void Expect(TokenKind kind, string value)
    {
        if (Current.Kind != kind || (kind == TokenKind.Operator && Current.Value != value))
        {
            throw Error(Current.Line, $"expected '{value}', found {Current}");
        }

        _pos++;
    }

    private string ExpectName()
    {
        if (Current.Kind != TokenKind.Name)
        {
            throw Error(Current.Line, $"expected a name, found {Current}");
        }

        return _tokens[_pos++].Value;
    }
}
