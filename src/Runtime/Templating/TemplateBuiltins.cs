using System.Globalization;
using System.Text;

namespace UNComp.Runtime.Templating;

/// <summary>
/// Global functions of the chat-template environment: Jinja's <c>range</c>, <c>namespace</c>, <c>dict</c> and
/// transformers' <c>raise_exception</c> and <c>strftime_now</c>.
/// </summary>
internal static class TemplateBuiltins
{
    private static readonly Dictionary<string, TemplateFunction> Functions = new(StringComparer.Ordinal)
    {
        ["range"] = Range,
        ["namespace"] = (args, kwargs, _) =>
        {
            var ns = new TemplateNamespace();
            foreach (var arg in args)
            {
                if (arg is OrderedDictionary<string, object?> map)
                {
                    foreach (var (k, v) in map)
                    {
                        ns.Attributes[k] = v;
                    }
                }
            }

            foreach (var (k, v) in kwargs)
            {
                ns.Attributes[k] = v;
            }

            return ns;
        },
        ["dict"] = (_, kwargs, _) =>
        {
            var map = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (k, v) in kwargs)
            {
                map[k] = v;
            }

            return map;
        },
        ["raise_exception"] = (args, _, line) => throw new RaisedException(args.Count > 0 ? TemplateValues.ToStr(args[0]) : "raise_exception called", line),
        ["strftime_now"] = (args, _, _) => StrFTime(DateTime.Now, args.Count > 0 ? TemplateValues.ToStr(args[0]) : "%Y-%m-%d"),
    };

    /// <summary>Thrown by <c>raise_exception</c>; the renderer turns it into a <see cref="TemplateException"/> with the template's name.</summary>
    internal sealed class RaisedException(string message, int line) : Exception(message)
    {
        public int Line { get; } = line;
    }

    public static bool TryGet(string name, out TemplateFunction function) => Functions.TryGetValue(name, out function!);

    private static List<object?> Range(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int line)
    {
        long[] n = args.Select(a => a is long l ? l : throw new RaisedException("range() needs integer arguments", line)).ToArray();
        var (start, stop, step) = n.Length switch
        {
            1 => (0L, n[0], 1L),
            2 => (n[0], n[1], 1L),
            3 => (n[0], n[1], n[2]),
            _ => throw new RaisedException("range() takes 1 to 3 arguments", line),
        };
        if (step == 0 || Math.Abs((stop - start) / step) > 100_000)
        {
            throw new RaisedException("range() step is zero or the range is longer than 100000", line);
        }

        var result = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            result.Add(i);
        }

        return result;
    }

    /// <summary>The C strftime directives templates use (%d %b %B %Y %y %m %H %M %S %a %A %p %j %%).</summary>
    public static string StrFTime(DateTime time, string format)
    {
        var sb = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }

            char d = format[++i];
            sb.Append(d switch
            {
                'd' => time.ToString("dd", culture),
                'b' => time.ToString("MMM", culture),
                'B' => time.ToString("MMMM", culture),
                'Y' => time.ToString("yyyy", culture),
                'y' => time.ToString("yy", culture),
                'm' => time.ToString("MM", culture),
                'H' => time.ToString("HH", culture),
                'I' => time.ToString("hh", culture),
                'M' => time.ToString("mm", culture),
                'S' => time.ToString("ss", culture),
                'a' => time.ToString("ddd", culture),
                'A' => time.ToString("dddd", culture),
                'p' => time.ToString("tt", culture),
                'j' => time.DayOfYear.ToString("000", culture),
                '%' => "%",
                _ => "%" + d,
            });
        }

        return sb.ToString();
    }
}
