namespace UNComp.Runtime.Templating;

/// <summary>The Jinja tests (<c>value is name(args)</c>) chat templates use.</summary>
internal static class TemplatePredicates
{
    private static readonly HashSet<string> Known =
    [
        "defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "mapping", "iterable",
        "sequence", "callable", "odd", "even", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "<", "le", "<=",
        "gt", ">", "ge", ">=", "true", "false", "in", "lower", "upper", "sameas",
    ];

    public static IEnumerable<string> Names => Known.Where(n => char.IsLetter(n[0])).Order(StringComparer.Ordinal);

    public static bool IsKnown(string name) => Known.Contains(name);

    public static bool Test(TemplateInterpreter it, string name, object? value, IReadOnlyList<object?> args, int line)
    {
        object? Arg() => args.Count > 0 ? args[0] : throw it.Error(line, $"test '{name}' needs an argument");
        int Order() => TemplateValues.Compare(value, Arg())
            ?? throw it.Error(line, $"test '{name}' cannot compare a {TemplateValues.TypeName(value)} with a {TemplateValues.TypeName(Arg())}");

        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "string" => value is string,
            "number" => value is long or double,
            "integer" => value is long,
            "float" => value is double,
            "boolean" => value is bool,
            "mapping" => value is OrderedDictionary<string, object?>,
            "iterable" => value is string or List<object?> or OrderedDictionary<string, object?>,
            "sequence" => value is string or List<object?> or OrderedDictionary<string, object?>,
            "callable" => value is TemplateMacro or TemplateFunction or TemplateBoundMethod,
            "odd" => value is long o && o % 2 != 0,
            "even" => value is long e && e % 2 == 0,
            "divisibleby" => value is long a && Arg() is long b && b != 0 && a % b == 0,
            "eq" or "equalto" or "==" => TemplateValues.AreEqual(value, Arg()),
            "ne" or "!=" => !TemplateValues.AreEqual(value, Arg()),
            "lt" or "<" => Order() < 0,
            "le" or "<=" => Order() <= 0,
            "gt" or ">" => Order() > 0,
            "ge" or ">=" => Order() >= 0,
            "true" => value is true,
            "false" => value is false,
            "in" => it.Contains(Arg(), value, line),
            "lower" => value is string l && !l.Any(char.IsUpper),
            "upper" => value is string u && !u.Any(char.IsLower),
            "sameas" => ReferenceEquals(value, Arg()) || (value is null && Arg() is null) || (value is bool x && Arg() is bool y && x == y),
            _ => throw it.Error(line, $"unsupported test '{name}'"),
        };
    }
}
