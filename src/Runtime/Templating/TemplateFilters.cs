using System.Globalization;
using System.Net;

namespace UNComp.Runtime.Templating;

/// <summary>The Jinja filters chat templates use (<c>value | name(args)</c>), with Jinja's and transformers' semantics.</summary>
internal static class TemplateFilters
{
    private static readonly HashSet<string> Known =
    [
        "trim", "length", "count", "tojson", "upper", "lower", "title", "capitalize", "first", "last", "list", "join",
        "default", "d", "selectattr", "rejectattr", "select", "reject", "map", "items", "string", "int", "float", "abs",
        "round", "replace", "unique", "sort", "reverse", "dictsort", "indent", "safe", "escape", "e", "batch", "sum",
        "min", "max", "wordcount", "center",
    ];

    public static IEnumerable<string> Names => Known.Order(StringComparer.Ordinal);

    public static bool IsKnown(string name) => Known.Contains(name);

    public static object? Apply(TemplateInterpreter it, string name, object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int line)
    {
        object? Arg(int index, string key, object? fallback) =>
            index < args.Count ? args[index] : kwargs.TryGetValue(key, out var v) ? v : fallback;
        List<object?> Items() => TemplateValues.Iterate(value)
            ?? throw it.Error(line, $"filter '{name}' needs a list, dict or string, not a {TemplateValues.TypeName(value)}");
        string Str() => value is string s ? s : TemplateValues.ToStr(value);

        switch (name)
        {
            case "trim":
                return Arg(0, "chars", null) is string chars ? Str().Trim(chars.ToCharArray()) : Str().Trim();
            case "length" or "count":
                return value switch
                {
                    string s => (long)s.EnumerateRunes().Count(),
                    List<object?> list => (long)list.Count,
                    OrderedDictionary<string, object?> map => (long)map.Count,
                    Undefined => 0L,
                    _ => throw it.Error(line, $"filter '{name}' needs a string, list or dict, not a {TemplateValues.TypeName(value)}"),
                };
            case "tojson":
                int? indent = Arg(0, "indent", null) is long n ? (int)n : null;
                var separators = kwargs.TryGetValue("separators", out var sep) && sep is List<object?> { Count: 2 } pair && pair[0] is string itemSep && pair[1] is string keySep
                    ? (itemSep, keySep)
                    : ((string, string)?)null;
                return TemplateJson.Serialize(value, indent, TemplateValues.IsTruthy(Arg(1, "sort_keys", false)), separators)
                    ?? throw it.Error(line, $"tojson cannot serialize a value holding a {TemplateValues.TypeName(value)}");
            case "upper": return Str().ToUpperInvariant();
            case "lower": return Str().ToLowerInvariant();
            case "title": return TemplateMethods.Title(Str());
            case "capitalize":
                string c = Str();
                return c.Length == 0 ? c : char.ToUpperInvariant(c[0]) + c[1..].ToLowerInvariant();
            case "first":
                var firstItems = Items();
                return firstItems.Count > 0 ? firstItems[0] : Undefined.Instance;
            case "last":
                var lastItems = Items();
                return lastItems.Count > 0 ? lastItems[^1] : Undefined.Instance;
            case "list": return new List<object?>(Items());
            case "join":
                string separator = Arg(0, "d", string.Empty) as string ?? string.Empty;
                var parts = Items();
                if (Arg(1, "attribute", null) is string joinAttribute)
                {
                    parts = parts.Select(p => TemplateInterpreter.GetAttribute(p, joinAttribute)).ToList();
                }

                return string.Join(separator, parts.Select(TemplateValues.ToStr));
            case "default" or "d":
                bool boolean = TemplateValues.IsTruthy(Arg(1, "boolean", false));
                return value is Undefined || (boolean && !TemplateValues.IsTruthy(value)) ? Arg(0, "default_value", string.Empty) : value;
            case "selectattr" or "rejectattr":
                return SelectAttribute(it, Items(), args, name == "selectattr", line);
            case "select" or "reject":
                return Items().Where(item => Check(it, item, args, 0, line) == (name == "select")).ToList();
            case "map":
                if (kwargs.TryGetValue("attribute", out var mapAttribute) && mapAttribute is string attr)
                {
                    var fallback = kwargs.TryGetValue("default", out var dv) ? dv : Undefined.Instance;
                    return Items().Select(i => TemplateInterpreter.GetAttribute(i, attr) is Undefined ? fallback : TemplateInterpreter.GetAttribute(i, attr)).ToList();
                }

                if (args.Count > 0 && args[0] is string filterName && IsKnown(filterName))
                {
                    return Items().Select(i => Apply(it, filterName, i, args.Skip(1).ToList(), new Dictionary<string, object?>(), line)).ToList();
                }

                throw it.Error(line, "map needs attribute='name' or the name of a supported filter");
            case "items":
                return value switch
                {
                    OrderedDictionary<string, object?> map => map.Select(kv => (object?)TemplateValues.Pair(kv.Key, kv.Value)).ToList(),
                    Undefined => new List<object?>(),
                    _ => throw it.Error(line, $"filter 'items' needs a dict, not a {TemplateValues.TypeName(value)}"),
                };
            case "string": return TemplateValues.ToStr(value);
            case "int":
                return value switch
                {
                    long l => l,
                    double d => (long)Math.Truncate(d),
                    bool b => b ? 1L : 0L,
                    string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed) => parsed,
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) => (long)Math.Truncate(parsed),
                    _ => Arg(0, "default", 0L),
                };
            case "float":
                return value switch
                {
                    long or double or bool => TemplateValues.ToDouble(value),
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) => parsed,
                    _ => Arg(0, "default", 0.0),
                };
            case "abs":
                return value switch
                {
                    long l => (object)Math.Abs(l),
                    double d => Math.Abs(d),
                    _ => throw it.Error(line, $"filter 'abs' needs a number, not a {TemplateValues.TypeName(value)}"),
                };
            case "round":
                int digits = Arg(0, "precision", 0L) is long p ? (int)p : 0;
                string method = Arg(1, "method", "common") as string ?? "common";
                double x = TemplateValues.ToDouble(value) * Math.Pow(10, digits);
                // Python's round() rounds halves to even ("common" in Jinja is Python's round).
                x = method switch { "ceil" => Math.Ceiling(x), "floor" => Math.Floor(x), _ => Math.Round(x, MidpointRounding.ToEven) };
                return x / Math.Pow(10, digits);
            case "replace":
                string old = Arg(0, "old", string.Empty) as string ?? string.Empty;
                string replacement = Arg(1, "new", string.Empty) as string ?? string.Empty;
                return old.Length == 0 ? Str() : Str().Replace(old, replacement, StringComparison.Ordinal);
            case "unique":
                var unique = new List<object?>();
                foreach (var item in Items())
                {
                    if (!unique.Exists(u => TemplateValues.AreEqual(u, item)))
                    {
                        unique.Add(item);
                    }
                }

                return unique;
            case "sort":
                bool reverse = TemplateValues.IsTruthy(Arg(0, "reverse", false));
                string? sortAttribute = Arg(2, "attribute", null) as string;
                var sorted = Items().ToList();
                sorted.Sort((a, b) =>
                {
                    var ka = sortAttribute is null ? a : TemplateInterpreter.GetAttribute(a, sortAttribute);
                    var kb = sortAttribute is null ? b : TemplateInterpreter.GetAttribute(b, sortAttribute);
                    return TemplateValues.Compare(ka, kb) ?? throw it.Error(line, "sort needs items of one comparable type");
                });
                if (reverse)
                {
                    sorted.Reverse();
                }

                return sorted;
            case "reverse":
                if (value is string rs)
                {
                    return string.Concat(rs.Reverse());
                }

                var reversed = Items().ToList();
                reversed.Reverse();
                return reversed;
            case "dictsort":
                return value is OrderedDictionary<string, object?> dict
                    ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (object?)TemplateValues.Pair(kv.Key, kv.Value)).ToList()
                    : throw it.Error(line, $"filter 'dictsort' needs a dict, not a {TemplateValues.TypeName(value)}");
            case "indent":
                string pad = Arg(0, "width", 4L) switch { long w => new string(' ', (int)w), string s => s, _ => "    " };
                bool first = TemplateValues.IsTruthy(Arg(1, "first", false));
                bool blank = TemplateValues.IsTruthy(Arg(2, "blank", false));
                var lines = Str().Split('\n');
                for (int i = 0; i < lines.Length; i++)
                {
                    if ((i > 0 || first) && (blank || lines[i].Length > 0))
                    {
                        lines[i] = pad + lines[i];
                    }
                }

                return string.Join('\n', lines);
            case "safe": return value;
            case "escape" or "e": return WebUtility.HtmlEncode(Str());
            case "batch":
                long size = Arg(0, "linecount", 1L) is long bs && bs > 0 ? bs : 1;
                return Items().Chunk((int)size).Select(chunk => (object?)chunk.ToList()).ToList();
            case "sum":
                object? total = Arg(1, "start", 0L);
                foreach (var item in Items())
                {
                    total = TemplateArithmetic.Apply(it, "+", total, Arg(0, "attribute", null) is string sa ? TemplateInterpreter.GetAttribute(item, sa) : item, line);
                }

                return total;
            case "min" or "max":
                var candidates = Items();
                if (candidates.Count == 0)
                {
                    return Undefined.Instance;
                }

                var best = candidates[0];
                foreach (var item in candidates.Skip(1))
                {
                    int cmp = TemplateValues.Compare(item, best) ?? throw it.Error(line, $"{name} needs items of one comparable type");
                    best = (name == "min" ? cmp < 0 : cmp > 0) ? item : best;
                }

                return best;
            case "wordcount":
                return (long)Str().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            case "center":
                int width = Arg(0, "width", 80L) is long cw ? (int)cw : 80;
                string centered = Str();
                int space = Math.Max(0, width - centered.Length);
                return new string(' ', space / 2) + centered + new string(' ', space - (space / 2));
            default:
                throw it.Error(line, $"unsupported filter '{name}'");
        }
    }

    private static List<object?> SelectAttribute(TemplateInterpreter it, List<object?> items, IReadOnlyList<object?> args, bool select, int line)
    {
        if (args.Count == 0 || args[0] is not string attribute)
        {
            throw it.Error(line, "selectattr/rejectattr need the attribute name as the first argument");
        }

        return items.Where(item => Check(it, TemplateInterpreter.GetAttribute(item, attribute), args, 1, line) == select).ToList();
    }

    /// <summary>select/reject semantics: with a test name, apply that test (with the remaining arguments); else truthiness.</summary>
    private static bool Check(TemplateInterpreter it, object? value, IReadOnlyList<object?> args, int testIndex, int line)
    {
        if (args.Count <= testIndex)
        {
            return TemplateValues.IsTruthy(value);
        }

        if (args[testIndex] is not string test || !TemplatePredicates.IsKnown(test))
        {
            throw it.Error(line, $"unsupported test {TemplateValues.Repr(args[testIndex])} in select/reject (supported: {string.Join(", ", TemplatePredicates.Names)})");
        }

        return TemplatePredicates.Test(it, test, value, args.Skip(testIndex + 1).ToList(), line);
    }
}
