using System.Globalization;
using System.Text;

namespace UNComp.Runtime.Templating;

/// <summary>Jinja's undefined value: renders as nothing, is falsy, iterates as empty.</summary>
internal sealed class Undefined
{
    public static readonly Undefined Instance = new();

    private Undefined()
    {
    }
}

/// <summary>A Python tuple: a list that prints with parentheses (tuple literals, <c>items()</c>, <c>dictsort</c>).</summary>
internal sealed class TemplateTuple : List<object?>
{
    public TemplateTuple(IEnumerable<object?> items)
        : base(items)
    {
    }
}

/// <summary>A <c>namespace(...)</c> object: attributes that <c>set ns.x = ...</c> can change from inside loops.</summary>
internal sealed class TemplateNamespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>A built-in function such as <c>raise_exception</c> or <c>range</c>.</summary>
internal delegate object? TemplateFunction(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int line);

/// <summary>
/// Template values are plain objects: null (None), <see cref="Undefined"/>, bool, long, double, string,
/// <c>List&lt;object?&gt;</c> (list/tuple), <c>OrderedDictionary&lt;string, object?&gt;</c> (dict), namespaces,
/// macros and functions. These helpers give them Python's semantics (truth, str, repr, equality, ordering).
/// </summary>
internal static class TemplateValues
{
    public static bool IsTruthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        OrderedDictionary<string, object?> map => map.Count > 0,
        _ => true,
    };

    /// <summary>Python's <c>str()</c>, which is what <c>{{ value }}</c> prints.</summary>
    public static string ToStr(object? v) => v switch
    {
        string s => s,
        Undefined => string.Empty,
        _ => Repr(v),
    };

    /// <summary>Python's <c>repr()</c> (lists and dicts print their items this way).</summary>
    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? v)
    {
        switch (v)
        {
            case null: sb.Append("None"); break;
            case Undefined: break;
            case bool b: sb.Append(b ? "True" : "False"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(FormatFloat(d)); break;
            case string s:
                char quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
                sb.Append(quote);
                foreach (char c in s)
                {
                    switch (c)
                    {
                        case '\\': sb.Append("\\\\"); break;
                        case '\n': sb.Append("\\n"); break;
                        case '\r': sb.Append("\\r"); break;
                        case '\t': sb.Append("\\t"); break;
                        default:
                            if (c == quote)
                            {
                                sb.Append('\\');
                            }

                            sb.Append(c);
                            break;
                    }
                }

                sb.Append(quote);
                break;
            case List<object?> list:
                bool tuple = list is TemplateTuple;
                sb.Append(tuple ? '(' : '[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    AppendRepr(sb, list[i]);
                }

                sb.Append(tuple ? (list.Count == 1 ? ",)" : ")") : "]");
                break;
            case OrderedDictionary<string, object?> map:
                sb.Append('{');
                bool first = true;
                foreach (var (key, value) in map)
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }

                    first = false;
                    AppendRepr(sb, key);
                    sb.Append(": ");
                    AppendRepr(sb, value);
                }

                sb.Append('}');
                break;
            case TemplateNamespace ns:
                sb.Append("<Namespace ").Append(string.Join(", ", ns.Attributes.Keys)).Append('>');
                break;
            default:
                sb.Append('<').Append(TypeName(v)).Append('>');
                break;
        }
    }

    /// <summary>Python's float repr: shortest round-trip digits, always with a '.' or exponent.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        double abs = Math.Abs(d);
        if (abs != 0 && (abs >= 1e16 || abs < 1e-4))
        {
            string e = d.ToString("E16", CultureInfo.InvariantCulture);
            string shortest = d.ToString("R", CultureInfo.InvariantCulture);
            return shortest.Contains('E', StringComparison.Ordinal)
                ? shortest.Replace("E", "e", StringComparison.Ordinal).Replace("e-0", "e-", StringComparison.Ordinal).Replace("e+0", "e+", StringComparison.Ordinal)
                : e;
        }

        string r = d.ToString("R", CultureInfo.InvariantCulture);
        return r.Contains('.', StringComparison.Ordinal) || r.Contains('E', StringComparison.Ordinal) ? r : r + ".0";
    }

    public static string TypeName(object? v) => v switch
    {
        null => "none",
        Undefined => "undefined",
        bool => "boolean",
        long => "integer",
        double => "float",
        string => "string",
        TemplateTuple => "tuple",
        List<object?> => "list",
        OrderedDictionary<string, object?> => "dict",
        TemplateNamespace => "namespace",
        TemplateMacro => "macro",
        TemplateFunction => "function",
        _ => v.GetType().Name,
    };

    public static bool AreEqual(object? a, object? b)
    {
        switch (a)
        {
            case Undefined when b is Undefined:
                return true;
            case null:
                return b is null;
            case bool x when b is bool y:
                return x == y;
            case long or double when b is long or double:
                return ToDouble(a) == ToDouble(b);
            case string x when b is string y:
                return string.Equals(x, y, StringComparison.Ordinal);
            case List<object?> x when b is List<object?> y:
                if (x.Count != y.Count)
                {
                    return false;
                }

                for (int i = 0; i < x.Count; i++)
                {
                    if (!AreEqual(x[i], y[i]))
                    {
                        return false;
                    }
                }

                return true;
            case OrderedDictionary<string, object?> x when b is OrderedDictionary<string, object?> y:
                if (x.Count != y.Count)
                {
                    return false;
                }

                foreach (var (key, value) in x)
                {
                    if (!y.TryGetValue(key, out var other) || !AreEqual(value, other))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return ReferenceEquals(a, b);
        }
    }

    /// <summary>Python ordering of numbers with numbers and strings with strings; null when not comparable.</summary>
    public static int? Compare(object? a, object? b) => (a, b) switch
    {
        (long x, long y) => x.CompareTo(y),
        (long or double or bool, long or double or bool) => ToDouble(a).CompareTo(ToDouble(b)),
        (string x, string y) => string.CompareOrdinal(x, y),
        _ => null,
    };

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => double.NaN,
    };

    /// <summary>The items a for loop visits: list items, dict keys, string characters; undefined and none give nothing.</summary>
    public static List<object?>? Iterate(object? v) => v switch
    {
        List<object?> list => list,
        OrderedDictionary<string, object?> map => [.. map.Keys],
        string s => [.. s.EnumerateRunes().Select(r => (object?)r.ToString())],
        Undefined => [],
        _ => null,
    };

    /// <summary>A (key, value) pair as Python's <c>dict.items()</c> gives it.</summary>
    public static TemplateTuple Pair(string key, object? value) => new([key, value]);

    public static OrderedDictionary<string, object?> Map(params (string Key, object? Value)[] entries)
    {
        var map = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in entries)
        {
            map[k] = v;
        }

        return map;
    }
}
