using System.Globalization;
using System.Text;

namespace UNComp.Runtime.Templating;

/// <summary>
/// Python methods on strings, lists and dicts that chat templates call (<c>content.strip()</c>, <c>tool.items()</c>).
/// Mutating methods (<c>append</c>, <c>pop</c>, <c>update</c>) are refused, as transformers' immutable sandbox does.
/// </summary>
internal static class TemplateMethods
{
    private static readonly HashSet<string> StringMethods =
    [
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "upper", "lower", "title",
        "capitalize", "replace", "find", "rfind", "count", "join", "isdigit", "isalpha", "isspace", "isupper", "islower",
    ];

    private static readonly HashSet<string> ListMethods = ["index", "count", "append", "pop", "extend", "insert", "remove", "sort", "reverse", "clear"];
    private static readonly HashSet<string> DictMethods = ["items", "keys", "values", "get", "update", "pop", "setdefault", "clear"];
    private static readonly HashSet<string> Mutating = ["append", "pop", "extend", "insert", "remove", "sort", "reverse", "clear", "update", "setdefault"];

    public static bool Has(object target, string name) => target switch
    {
        string => StringMethods.Contains(name),
        List<object?> => ListMethods.Contains(name),
        OrderedDictionary<string, object?> => DictMethods.Contains(name),
        _ => false,
    };

    public static object? Invoke(TemplateInterpreter it, object target, string name, IReadOnlyList<object?> args, int line)
    {
        if (Mutating.Contains(name) && target is not string)
        {
            throw it.Error(line, $"'{name}' would modify a {TemplateValues.TypeName(target)}; chat templates run immutable (use a namespace() or build a new list with +)");
        }

        string? StrArg(int i) => i < args.Count ? args[i] as string : null;
        return target switch
        {
            string s => InvokeString(it, s, name, args, StrArg, line),
            List<object?> list => name switch
            {
                "index" => (long)list.FindIndex(x => TemplateValues.AreEqual(x, args.Count > 0 ? args[0] : null)) is var i && i >= 0
                    ? i
                    : throw it.Error(line, "list.index: the value is not in the list"),
                _ => (long)list.Count(x => TemplateValues.AreEqual(x, args.Count > 0 ? args[0] : null)),
            },
            OrderedDictionary<string, object?> map => name switch
            {
                "items" => map.Select(kv => (object?)TemplateValues.Pair(kv.Key, kv.Value)).ToList(),
                "keys" => map.Keys.Select(k => (object?)k).ToList(),
                "values" => map.Values.ToList(),
                _ => StrArg(0) is { } key && map.TryGetValue(key, out var v) ? v : (args.Count > 1 ? args[1] : null),
            },
            _ => throw it.Error(line, $"a {TemplateValues.TypeName(target)} value has no method '{name}'"),
        };
    }

    private static object? InvokeString(TemplateInterpreter it, string s, string name, IReadOnlyList<object?> args, Func<int, string?> arg, int line)
    {
        char[]? chars = arg(0)?.ToCharArray();
        switch (name)
        {
            case "strip": return chars is null ? s.Trim() : s.Trim(chars);
            case "lstrip": return chars is null ? s.TrimStart() : s.TrimStart(chars);
            case "rstrip": return chars is null ? s.TrimEnd() : s.TrimEnd(chars);
            case "split" or "rsplit":
                int max = args.Count > 1 && args[1] is long m ? (int)m : -1;
                return Split(s, arg(0), max, name == "rsplit").Select(p => (object?)p).ToList();
            case "splitlines": return s.Split('\n').Select(p => (object?)p.TrimEnd('\r')).ToList();
            case "startswith" or "endswith":
                var candidates = args.Count > 0 && args[0] is List<object?> tuple ? tuple.OfType<string>().ToList() : [arg(0) ?? string.Empty];
                return candidates.Exists(c => name == "startswith" ? s.StartsWith(c, StringComparison.Ordinal) : s.EndsWith(c, StringComparison.Ordinal));
            case "upper": return s.ToUpperInvariant();
            case "lower": return s.ToLowerInvariant();
            case "title": return Title(s);
            case "capitalize": return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
            case "replace":
                string old = arg(0) ?? string.Empty, replacement = arg(1) ?? string.Empty;
                return old.Length == 0 ? s : s.Replace(old, replacement, StringComparison.Ordinal);
            case "find": return (long)s.IndexOf(arg(0) ?? string.Empty, StringComparison.Ordinal);
            case "rfind": return (long)s.LastIndexOf(arg(0) ?? string.Empty, StringComparison.Ordinal);
            case "count": return (long)CountOccurrences(s, arg(0) ?? string.Empty);
            case "join":
                var items = args.Count > 0 ? TemplateValues.Iterate(args[0]) : null;
                return items is null ? throw it.Error(line, "str.join needs a list") : string.Join(s, items.Select(TemplateValues.ToStr));
            case "isdigit": return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha": return s.Length > 0 && s.All(char.IsLetter);
            case "isspace": return s.Length > 0 && s.All(char.IsWhiteSpace);
            case "isupper": return s.Any(char.IsLetter) && !s.Any(char.IsLower);
            case "islower": return s.Any(char.IsLetter) && !s.Any(char.IsUpper);
            default: throw it.Error(line, $"a string has no method '{name}'");
        }
    }

    private static List<string> Split(string s, string? separator, int max, bool fromRight)
    {
        if (separator is null)
        {
            // Python's split() without a separator: runs of whitespace, no empty pieces.
            var words = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();
            if (max >= 0 && words.Count > max + 1)
            {
                if (fromRight)
                {
                    return [string.Join(' ', words.Take(words.Count - max)), .. words.Skip(words.Count - max)];
                }

                var head = words.Take(max).ToList();
                int consumed = 0;
                foreach (var w in head)
                {
                    consumed = s.IndexOf(w, consumed, StringComparison.Ordinal) + w.Length;
                }

                head.Add(s[consumed..].TrimStart());
                return head;
            }

            return words;
        }

        var parts = s.Split(separator, StringSplitOptions.None).ToList();
        if (max < 0 || parts.Count <= max + 1)
        {
            return parts;
        }

        return fromRight
            ? [string.Join(separator, parts.Take(parts.Count - max)), .. parts.Skip(parts.Count - max)]
            : [.. parts.Take(max), string.Join(separator, parts.Skip(max))];
    }

    private static int CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0)
        {
            return s.Length + 1;
        }

        int n = 0;
        for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    /// <summary>Python's <c>str.title()</c>: upper-case the first letter of every run of letters.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousIsLetter = false;
        foreach (char c in s)
        {
            sb.Append(previousIsLetter ? char.ToLower(c, CultureInfo.InvariantCulture) : char.ToUpper(c, CultureInfo.InvariantCulture));
            previousIsLetter = char.IsLetter(c);
        }

        return sb.ToString();
    }
}
