using System.Text;

namespace UNComp.Runtime.Templating;

/// <summary>Renders a parsed template: a tree walk over <see cref="Node"/>s with Jinja's scoping and Python's value semantics.</summary>
internal sealed class TemplateInterpreter
{
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    private const int MaxMacroDepth = 64;
    private readonly string _name;
    private int _macroDepth;

    public TemplateInterpreter(string name)
    {
        _name = name;
    }

    public string Name => _name;

    public TemplateException Error(int line, string reason) => new(_name, line, reason);

    public void Render(IReadOnlyList<Node> nodes, TemplateScope scope, StringBuilder output)
    {
        var flow = Execute(nodes, scope, output);
        if (flow != Flow.Normal)
        {
            throw Error(0, "'break' or 'continue' outside a for loop");
        }
    }

    private Flow Execute(IReadOnlyList<Node> nodes, TemplateScope scope, StringBuilder output)
    {
        foreach (var node in nodes)
        {
            var flow = Execute(node, scope, output);
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }

    private Flow Execute(Node node, TemplateScope scope, StringBuilder output)
    {
        switch (node)
        {
            case TextNode text:
                output.Append(text.Text);
                return Flow.Normal;
            case OutputNode o:
                output.Append(TemplateValues.ToStr(Evaluate(o.Value, scope)));
                return Flow.Normal;
            case IfNode ifNode:
                foreach (var (condition, body) in ifNode.Branches)
                {
                    if (TemplateValues.IsTruthy(Evaluate(condition, scope)))
                    {
                        return Execute(body, scope, output);
                    }
                }

                return ifNode.Else is null ? Flow.Normal : Execute(ifNode.Else, scope, output);
            case ForNode forNode:
                ExecuteFor(forNode, scope, output);
                return Flow.Normal;
            case SetNode set:
                ExecuteSet(set, scope);
                return Flow.Normal;
            case MacroNode macro:
                scope.Set(macro.Name, new TemplateMacro(macro, scope));
                return Flow.Normal;
            case BreakNode:
                return Flow.Break;
            case ContinueNode:
                return Flow.Continue;
            case GenerationNode generation:
                return Execute(generation.Body, scope, output);
            case FilterBlockNode filterBlock:
                var inner = new StringBuilder();
                var flow = Execute(filterBlock.Body, scope, inner);
                output.Append(TemplateValues.ToStr(TemplateFilters.Apply(this, filterBlock.Filter, inner.ToString(), [], EmptyKwargs, filterBlock.Line)));
                return flow;
            default:
                throw Error(node.Line, $"unsupported statement {node.GetType().Name}");
        }
    }

    private void ExecuteFor(ForNode node, TemplateScope scope, StringBuilder output)
    {
        var source = Evaluate(node.Iterable, scope);
        var items = TemplateValues.Iterate(source)
            ?? throw Error(node.Line, $"cannot loop over a {TemplateValues.TypeName(source)} value");
        if (node.Filter is not null)
        {
            items = items.Where(item =>
            {
                var probe = new TemplateScope(scope);
                Bind(node, probe, item);
                return TemplateValues.IsTruthy(Evaluate(node.Filter, probe));
            }).ToList();
        }

        if (items.Count == 0)
        {
            if (node.Else is not null)
            {
                Execute(node.Else, scope, output);
            }

            return;
        }

        for (int i = 0; i < items.Count; i++)
        {
            var iteration = new TemplateScope(scope);
            Bind(node, iteration, items[i]);
            iteration.Set("loop", TemplateValues.Map(
                ("index", (long)(i + 1)), ("index0", (long)i), ("revindex", (long)(items.Count - i)), ("revindex0", (long)(items.Count - i - 1)),
                ("first", i == 0), ("last", i == items.Count - 1), ("length", (long)items.Count), ("depth", 1L), ("depth0", 0L),
                ("previtem", i > 0 ? items[i - 1] : Undefined.Instance), ("nextitem", i + 1 < items.Count ? items[i + 1] : Undefined.Instance)));
            if (Execute(node.Body, iteration, output) == Flow.Break)
            {
                break;
            }
        }
    }

    private void Bind(ForNode node, TemplateScope scope, object? item)
    {
        if (node.Targets.Count == 1)
        {
            scope.Set(node.Targets[0], item);
            return;
        }

        Unpack(node.Targets, item, scope, node.Line);
    }

    private void Unpack(IReadOnlyList<string> targets, object? value, TemplateScope scope, int line)
    {
        if (value is not List<object?> tuple || tuple.Count != targets.Count)
        {
            throw Error(line, $"cannot unpack a {TemplateValues.TypeName(value)} value into {targets.Count} names ({string.Join(", ", targets)})");
        }

        for (int i = 0; i < targets.Count; i++)
        {
            scope.Set(targets[i], tuple[i]);
        }
    }

    private void ExecuteSet(SetNode set, TemplateScope scope)
    {
        object? value;
        if (set.Body is not null)
        {
            var sb = new StringBuilder();
            Execute(set.Body, scope, sb);
            value = sb.ToString();
        }
        else
        {
            value = Evaluate(set.Value!, scope);
        }

        if (set.Attribute is not null)
        {
            scope.TryGet(set.Targets[0], out var target);
            if (target is not TemplateNamespace ns)
            {
                throw Error(set.Line, $"'set {set.Targets[0]}.{set.Attribute}' needs '{set.Targets[0]}' to be a namespace(), not a {TemplateValues.TypeName(target)}");
            }

            ns.Attributes[set.Attribute] = value;
            return;
        }

        if (set.Targets.Count == 1)
        {
            scope.Set(set.Targets[0], value);
        }
        else
        {
            Unpack(set.Targets, value, scope, set.Line);
        }
    }

    private static readonly IReadOnlyDictionary<string, object?> EmptyKwargs = new Dictionary<string, object?>();

    public object? Evaluate(Expr expr, TemplateScope scope)
    {
        switch (expr)
        {
            case LiteralExpr literal:
                return literal.Value;
            case NameExpr name:
                if (scope.TryGet(name.Name, out var value))
                {
                    return value;
                }

                return TemplateBuiltins.TryGet(name.Name, out var builtin) ? builtin : Undefined.Instance;
            case ListExpr list:
                var items = list.Items.Select(i => Evaluate(i, scope));
                return list.IsTuple ? new TemplateTuple(items) : items.ToList();
            case DictExpr dict:
                var map = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in dict.Entries)
                {
                    map[Evaluate(k, scope) as string ?? throw Error(dict.Line, "dict keys must be strings")] = Evaluate(v, scope);
                }

                return map;
            case AttributeExpr attribute:
                return GetAttribute(Evaluate(attribute.Target, scope), attribute.Name);
            case IndexExpr index:
                return GetItem(Evaluate(index.Target, scope), Evaluate(index.Index, scope), index.Line);
            case SliceExpr slice:
                return Slice(slice, scope);
            case CallExpr call:
                return Call(call, scope);
            case FilterExpr filter:
                return TemplateFilters.Apply(this, filter.Name, Evaluate(filter.Target, scope),
                    filter.Args.Select(a => Evaluate(a, scope)).ToList(), EvaluateKwargs(filter.Kwargs, scope), filter.Line);
            case TestExpr test:
                bool result = TemplatePredicates.Test(this, test.Name, Evaluate(test.Target, scope), test.Args.Select(a => Evaluate(a, scope)).ToList(), test.Line);
                return result != test.Negated;
            case UnaryExpr unary:
                var operand = Evaluate(unary.Operand, scope);
                return unary.Op switch
                {
                    "not" => !TemplateValues.IsTruthy(operand),
                    "-" => operand switch
                    {
                        long l => (object)(-l),
                        double d => -d,
                        _ => throw Error(unary.Line, $"cannot negate a {TemplateValues.TypeName(operand)} value"),
                    },
                    _ => operand,
                };
            case BinaryExpr binary:
                return EvaluateBinary(binary, scope);
            case ConditionalExpr conditional:
                return TemplateValues.IsTruthy(Evaluate(conditional.Condition, scope))
                    ? Evaluate(conditional.Then, scope)
                    : conditional.Else is null ? Undefined.Instance : Evaluate(conditional.Else, scope);
            default:
                throw Error(expr.Line, $"unsupported expression {expr.GetType().Name}");
        }
    }

    private Dictionary<string, object?> EvaluateKwargs(IReadOnlyList<(string Name, Expr Value)> kwargs, TemplateScope scope)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in kwargs)
        {
            result[name] = Evaluate(value, scope);
        }

        return result;
    }

    public static object? GetAttribute(object? target, string name) => target switch
    {
        OrderedDictionary<string, object?> map when map.TryGetValue(name, out var value) => value,
        TemplateNamespace ns => ns.Attributes.TryGetValue(name, out var value) ? value : Undefined.Instance,
        string or List<object?> or OrderedDictionary<string, object?> when TemplateMethods.Has(target, name) => new TemplateBoundMethod(target, name),
        _ => Undefined.Instance,
    };

    public object? GetItem(object? target, object? index, int line)
    {
        switch (target)
        {
            case OrderedDictionary<string, object?> map:
                return index is string key && map.TryGetValue(key, out var value) ? value : Undefined.Instance;
            case List<object?> list when index is long i:
                i = i < 0 ? i + list.Count : i;
                return i >= 0 && i < list.Count ? list[(int)i] : Undefined.Instance;
            case string s when index is long i:
                i = i < 0 ? i + s.Length : i;
                return i >= 0 && i < s.Length ? s[(int)i].ToString() : Undefined.Instance;
            case TemplateNamespace or Undefined or null:
                return index is string name ? GetAttribute(target, name) : Undefined.Instance;
            default:
                if (index is string attribute)
                {
                    return GetAttribute(target, attribute);
                }

                throw Error(line, $"cannot index a {TemplateValues.TypeName(target)} value with a {TemplateValues.TypeName(index)}");
        }
    }

    private object? Slice(SliceExpr slice, TemplateScope scope)
    {
        var target = Evaluate(slice.Target, scope);
        long? Bound(Expr? e) => e is null ? null : Evaluate(e, scope) switch
        {
            long l => l,
            null => null,
            var other => throw Error(slice.Line, $"slice bounds must be integers, not {TemplateValues.TypeName(other)}"),
        };
        long? start = Bound(slice.Start), stop = Bound(slice.Stop), step = Bound(slice.Step);
        int count = target switch
        {
            List<object?> l => l.Count,
            string s => s.Length,
            _ => throw Error(slice.Line, $"cannot slice a {TemplateValues.TypeName(target)} value"),
        };
        var indices = SliceIndices(count, start, stop, step ?? 1, slice.Line);
        return target is string str
            ? string.Concat(indices.Select(i => str[i]))
            : indices.Select(i => ((List<object?>)target)[i]).ToList();
    }

    private List<int> SliceIndices(int count, long? start, long? stop, long step, int line)
    {
        if (step == 0)
        {
            throw Error(line, "slice step cannot be zero");
        }

        long Clamp(long v, long low, long high) => Math.Min(Math.Max(v < 0 ? v + count : v, low), high);
        var result = new List<int>();
        if (step > 0)
        {
            long from = start is { } s ? Clamp(s, 0, count) : 0;
            long to = stop is { } e ? Clamp(e, 0, count) : count;
            for (long i = from; i < to; i += step)
            {
                result.Add((int)i);
            }
        }
        else
        {
            long from = start is { } s ? Clamp(s, -1, count - 1) : count - 1;
            long to = stop is { } e ? Clamp(e, -1, count - 1) : -1;
            for (long i = from; i > to; i += step)
            {
                result.Add((int)i);
            }
        }

        return result;
    }

    private object? Call(CallExpr call, TemplateScope scope)
    {
        var callee = Evaluate(call.Callee, scope);
        var args = new List<object?>(call.Args.Count);
        foreach (var a in call.Args)
        {
            if (a is SplatExpr splat)
            {
                var spread = Evaluate(splat.Inner, scope);
                args.AddRange(spread as List<object?> ?? throw Error(splat.Line, $"'*' needs a list, not a {TemplateValues.TypeName(spread)}"));
            }
            else
            {
                args.Add(Evaluate(a, scope));
            }
        }

        var kwargs = EvaluateKwargs(call.Kwargs, scope);
        switch (callee)
        {
            case TemplateBoundMethod method:
                return TemplateMethods.Invoke(this, method.Target, method.Name, args, call.Line);
            case TemplateFunction function:
                return function(args, kwargs, call.Line);
            case TemplateMacro macro:
                return CallMacro(macro, args, kwargs, call.Line);
            default:
                string what = call.Callee switch
                {
                    NameExpr n => $"'{n.Name}'",
                    AttributeExpr a => $"method '{a.Name}' of a {TemplateValues.TypeName(Evaluate(a.Target, scope))} value",
                    _ => "this value",
                };
                throw Error(call.Line, $"{what} is not a function, macro or supported method");
        }
    }

    private string CallMacro(TemplateMacro macro, List<object?> args, Dictionary<string, object?> kwargs, int line)
    {
        var definition = macro.Definition;
        if (args.Count > definition.Parameters.Count)
        {
            throw Error(line, $"macro '{definition.Name}' takes {definition.Parameters.Count} arguments, {args.Count} given");
        }

        if (++_macroDepth > MaxMacroDepth)
        {
            throw Error(line, $"macro calls nested deeper than {MaxMacroDepth}");
        }

        try
        {
            var scope = new TemplateScope(macro.Closure);
            for (int i = 0; i < definition.Parameters.Count; i++)
            {
                var (name, defaultValue) = definition.Parameters[i];
                object? value = i < args.Count ? args[i]
                    : kwargs.TryGetValue(name, out var kw) ? kw
                    : defaultValue is null ? Undefined.Instance : Evaluate(defaultValue, scope);
                scope.Set(name, value);
            }

            var sb = new StringBuilder();
            Execute(definition.Body, scope, sb);
            return sb.ToString();
        }
        finally
        {
            _macroDepth--;
        }
    }

    private object? EvaluateBinary(BinaryExpr binary, TemplateScope scope)
    {
        var left = Evaluate(binary.Left, scope);
        switch (binary.Op)
        {
            case "and":
                return TemplateValues.IsTruthy(left) ? Evaluate(binary.Right, scope) : left;
            case "or":
                return TemplateValues.IsTruthy(left) ? left : Evaluate(binary.Right, scope);
        }

        var right = Evaluate(binary.Right, scope);
        return binary.Op switch
        {
            "==" => TemplateValues.AreEqual(left, right),
            "!=" => !TemplateValues.AreEqual(left, right),
            "<" => Order(binary, left, right) < 0,
            "<=" => Order(binary, left, right) <= 0,
            ">" => Order(binary, left, right) > 0,
            ">=" => Order(binary, left, right) >= 0,
            "in" => Contains(right, left, binary.Line),
            "~" => TemplateValues.ToStr(left) + TemplateValues.ToStr(right),
            _ => TemplateArithmetic.Apply(this, binary.Op, left, right, binary.Line),
        };
    }

    private int Order(BinaryExpr binary, object? left, object? right) => TemplateValues.Compare(left, right)
        ?? throw Error(binary.Line, $"cannot compare a {TemplateValues.TypeName(left)} with a {TemplateValues.TypeName(right)} using '{binary.Op}'");

    public bool Contains(object? container, object? item, int line) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        List<object?> list => list.Exists(x => TemplateValues.AreEqual(x, item)),
        OrderedDictionary<string, object?> map => item is string key && map.ContainsKey(key),
        Undefined => false,
        _ => throw Error(line, $"'in' needs a string, list or dict on its right, not a {TemplateValues.TypeName(container)} (with a {TemplateValues.TypeName(item)} on its left)"),
    };
}
