using System.Globalization;

namespace UNComp.Runtime.Templating;

/// <summary>The expression half of the parser, by Jinja precedence from the conditional down to filters and tests.</summary>
internal sealed partial class TemplateParser
{
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

        return new ListExpr(items, first.Line, IsTuple: true);
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

    /// <summary>Unary minus/plus, then postfix; filters and tests apply to the whole (Jinja: <c>-2 | abs</c> is 2).</summary>
    private Expr ParseUnary(bool withFilters = true)
    {
        Expr node;
        if (Current.Kind == TokenKind.Operator && Current.Value is "-" or "+")
        {
            var t = _tokens[_pos++];
            node = new UnaryExpr(t.Value, ParseUnary(withFilters: false), t.Line);
        }
        else
        {
            node = ParsePostfix(ParsePrimary());
        }

        return withFilters ? ParseFilters(node) : node;
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
                    return new ListExpr([], t.Line, IsTuple: true);
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

                    inner = new ListExpr(items, t.Line, IsTuple: true);
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
