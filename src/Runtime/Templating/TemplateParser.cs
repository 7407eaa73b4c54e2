using System.Globalization;

namespace UNComp.Runtime.Templating;

/// <summary>
/// Recursive-descent parser for the Jinja subset chat templates use, with Jinja's operator precedence
/// (conditional &lt; or &lt; and &lt; not &lt; comparisons/in &lt; + - &lt; ~ &lt; * / // % &lt; ** &lt; unary &lt;
/// postfix . [] () &lt; filters and tests). Unknown tags, filters and tests fail here, naming the line.
/// </summary>
internal sealed class TemplateParser
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

    /// <summary>An expression, or a tuple of them when commas follow (used by set).</summary>
    private Expr ParseTuple()
    {
        var first = ParseExpression();
        if (!Current.IsOperator(","))
        {
            return first;
        }

        var items = new List<Expr> { first };
        while (Current.IsOperator(","))
        {
            _pos++;
            items.Add(ParseExpression());
        }

        return new ListExpr(items, first.Line);
    }

    private Expr ParseExpression()
    {
        var value = ParseOr();
        if (!Current.IsName("if"))
        {
            return value;
        }

        int line = Current.Line;
        _pos++;
        var condition = ParseOr();
        Expr? otherwise = null;
        if (Current.IsName("else"))
        {
            _pos++;
            otherwise = ParseExpression();
        }

        return new ConditionalExpr(condition, value, otherwise, line);
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            int line = _tokens[_pos++].Line;
            left = new BinaryExpr("or", left, ParseAnd(), line);
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            int line = _tokens[_pos++].Line;
            left = new BinaryExpr("and", left, ParseNot(), line);
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            int line = _tokens[_pos++].Line;
            return new UnaryExpr("not", ParseNot(), line);
        }

        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var left = ParseAdditive();
        while (true)
        {
            var t = Current;
            if (t.Kind == TokenKind.Operator && t.Value is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                _pos++;
                left = new BinaryExpr(t.Value, left, ParseAdditive(), t.Line);
            }
            else if (t.IsName("in"))
            {
                _pos++;
                left = new BinaryExpr("in", left, ParseAdditive(), t.Line);
            }
            else if (t.IsName("not") && _tokens[_pos + 1].IsName("in"))
            {
                _pos += 2;
                left = new UnaryExpr("not", new BinaryExpr("in", left, ParseAdditive(), t.Line), t.Line);
            }
            else
            {
                return left;
            }
        }
    }

    private Expr ParseAdditive()
    {
        var left = ParseConcat();
        while (Current.Kind == TokenKind.Operator && Current.Value is "+" or "-")
        {
            var t = _tokens[_pos++];
            left = new BinaryExpr(t.Value, left, ParseConcat(), t.Line);
        }

        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMultiplicative();
        while (Current.IsOperator("~"))
        {
            var t = _tokens[_pos++];
            left = new BinaryExpr("~", left, ParseMultiplicative(), t.Line);
        }

        return left;
    }

    private Expr ParseMultiplicative()
    {
        var left = ParsePower();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var t = _tokens[_pos++];
            left = new BinaryExpr(t.Value, left, ParsePower(), t.Line);
        }

        return left;
    }

    private Expr ParsePower()
    {
        var left = ParseUnary();
        while (Current.IsOperator("**"))
        {
            var t = _tokens[_pos++];
            left = new BinaryExpr("**", left, ParseUnary(), t.Line);
        }

        return left;
    }

    private Expr ParseUnary()
    {
        if (Current.Kind == TokenKind.Operator && Current.Value is "-" or "+")
        {
            var t = _tokens[_pos++];
            return new UnaryExpr(t.Value, ParseUnary(), t.Line);
        }

        return ParseFilters(ParsePostfix(ParsePrimary()));
    }

    private Expr ParsePrimary()
    {
        var t = _tokens[_pos++];
        switch (t.Kind)
        {
            case TokenKind.String:
                string s = t.Value;
                while (Current.Kind == TokenKind.String)
                {
                    s += _tokens[_pos++].Value;
                }

                return new LiteralExpr(s, t.Line);
            case TokenKind.Integer:
                return new LiteralExpr(long.Parse(t.Value, CultureInfo.InvariantCulture), t.Line);
            case TokenKind.Float:
                return new LiteralExpr(double.Parse(t.Value, CultureInfo.InvariantCulture), t.Line);
            case TokenKind.Name:
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(true, t.Line),
                    "false" or "False" => new LiteralExpr(false, t.Line),
                    "none" or "None" => new LiteralExpr(null, t.Line),
                    _ when Keywords.Contains(t.Value) => throw Error(t.Line, $"unexpected keyword '{t.Value}'"),
                    _ => new NameExpr(t.Value, t.Line),
                };
            case TokenKind.Operator when t.Value == "(":
                if (Current.IsOperator(")"))
                {
                    _pos++;
                    return new ListExpr([], t.Line);
                }

                var inner = ParseExpression();
                if (Current.IsOperator(","))
                {
                    var items = new List<Expr> { inner };
                    while (Current.IsOperator(","))
                    {
                        _pos++;
                        if (Current.IsOperator(")"))
                        {
                            break;
                        }

                        items.Add(ParseExpression());
                    }

                    inner = new ListExpr(items, t.Line);
                }

                Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when t.Value == "[":
                var list = new List<Expr>();
                while (!Current.IsOperator("]"))
                {
                    list.Add(ParseExpression());
                    if (!Current.IsOperator(","))
                    {
                        break;
                    }

                    _pos++;
                }

                Expect(TokenKind.Operator, "]");
                return new ListExpr(list, t.Line);
            case TokenKind.Operator when t.Value == "{":
                var entries = new List<(Expr, Expr)>();
                while (!Current.IsOperator("}"))
                {
                    var key = ParseExpression();
                    Expect(TokenKind.Operator, ":");
                    entries.Add((key, ParseExpression()));
                    if (!Current.IsOperator(","))
                    {
                        break;
                    }

                    _pos++;
                }

                Expect(TokenKind.Operator, "}");
                return new DictExpr(entries, t.Line);
            default:
                throw Error(t.Line, $"expected a value, found {t}");
        }
    }

    private Expr ParsePostfix(Expr target)
    {
        while (true)
        {
            var t = Current;
            if (t.IsOperator("."))
            {
                _pos++;
                var name = Current;
                if (name.Kind == TokenKind.Integer)
                {
                    _pos++;
                    target = new IndexExpr(target, new LiteralExpr(long.Parse(name.Value, CultureInfo.InvariantCulture), name.Line), t.Line);
                    continue;
                }

                target = new AttributeExpr(target, ExpectName(), t.Line);
            }
            else if (t.IsOperator("["))
            {
                _pos++;
                target = ParseSubscript(target, t.Line);
            }
            else if (t.IsOperator("("))
            {
                _pos++;
                var (args, kwargs) = ParseArguments();
                target = new CallExpr(target, args, kwargs, t.Line);
            }
            else
            {
                return target;
            }
        }
    }

    private Expr ParseSubscript(Expr target, int line)
    {
        Expr? start = Current.IsOperator(":") ? null : ParseExpression();
        if (!Current.IsOperator(":"))
        {
            Expect(TokenKind.Operator, "]");
            return new IndexExpr(target, start!, line);
        }

        _pos++;
        Expr? stop = Current.IsOperator(":") || Current.IsOperator("]") ? null : ParseExpression();
        Expr? step = null;
        if (Current.IsOperator(":"))
        {
            _pos++;
            step = Current.IsOperator("]") ? null : ParseExpression();
        }

        Expect(TokenKind.Operator, "]");
        return new SliceExpr(target, start, stop, step, line);
    }

    /// <summary>Arguments after '(' up to and including ')'.</summary>
    private (List<Expr> Args, List<(string, Expr)> Kwargs) ParseArguments()
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!Current.IsOperator(")"))
        {
            if (Current.IsOperator("*"))
            {
                int line = _tokens[_pos++].Line;
                args.Add(new SplatExpr(ParseExpression(), line));
            }
            else if (Current.Kind == TokenKind.Name && _tokens[_pos + 1].IsOperator("="))
            {
                string name = _tokens[_pos].Value;
                _pos += 2;
                kwargs.Add((name, ParseExpression()));
            }
            else
            {
                if (kwargs.Count > 0)
                {
                    throw Error(Current.Line, "a positional argument follows a keyword argument");
                }

                args.Add(ParseExpression());
            }

            if (!Current.IsOperator(","))
            {
                break;
            }

            _pos++;
        }

        Expect(TokenKind.Operator, ")");
        return (args, kwargs);
    }

    private Expr ParseFilters(Expr target)
    {
        while (true)
        {
            var t = Current;
            if (t.IsOperator("|"))
            {
                _pos++;
                string name = ExpectName();
                if (!TemplateFilters.IsKnown(name))
                {
                    throw Error(t.Line, $"unsupported filter '{name}' (supported: {string.Join(", ", TemplateFilters.Names)})");
                }

                List<Expr> args = [];
                List<(string, Expr)> kwargs = [];
                if (Current.IsOperator("("))
                {
                    _pos++;
                    (args, kwargs) = ParseArguments();
                }

                target = new FilterExpr(target, name, args, kwargs, t.Line);
            }
            else if (t.IsName("is"))
            {
                _pos++;
                bool negated = false;
                if (Current.IsName("not"))
                {
                    negated = true;
                    _pos++;
                }

                var nameToken = Current;
                string name = nameToken.Kind == TokenKind.Name && nameToken.Value is "none" or "true" or "false" ? nameToken.Value : ExpectName();
                if (nameToken.Kind == TokenKind.Name && nameToken.Value is "none" or "true" or "false")
                {
                    _pos++;
                }

                if (!TemplatePredicates.IsKnown(name))
                {
                    throw Error(t.Line, $"unsupported test 'is {name}' (supported: {string.Join(", ", TemplatePredicates.Names)})");
                }

                var args = new List<Expr>();
                if (Current.IsOperator("("))
                {
                    _pos++;
                    args = ParseArguments().Args;
                }
                else if (Current.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
                         || (Current.Kind == TokenKind.Name && !Keywords.Contains(Current.Value)))
                {
                    args.Add(ParsePostfix(ParsePrimary()));
                }

                target = new TestExpr(target, name, args, negated, t.Line);
            }
            else
            {
                return target;
            }
        }
    }
}
