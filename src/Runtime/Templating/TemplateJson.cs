using System.Globalization;
using System.Text;
using System.Text.Json;

namespace UNComp.Runtime.Templating;

/// <summary>
/// JSON in and out of template values: <see cref="FromJson"/> turns a <see cref="JsonElement"/> (tool schemas, tool-call
/// arguments) into values; <see cref="Serialize"/> is transformers' <c>tojson</c> filter, i.e. Python's
/// <c>json.dumps(x, ensure_ascii=False, indent=indent, sort_keys=sort_keys)</c> with its ", " and ": " separators.
/// </summary>
public static class TemplateJson
{
    /// <summary>Converts parsed JSON into a template value (objects keep their key order).</summary>
    public static object? FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ToMap(element),
        JsonValueKind.Array => element.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out long l) ? (object)l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static OrderedDictionary<string, object?> ToMap(JsonElement element)
    {
        var map = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            map[property.Name] = FromJson(property.Value);
        }

        return map;
    }

    /// <summary>
    /// Python <c>json.dumps</c> of a template value (separators default to ", " and ": ", or "," and ": " with an
    /// indent); null when the value holds something JSON cannot express.
    /// </summary>
    internal static string? Serialize(object? value, int? indent, bool sortKeys, (string Item, string Key)? separators = null)
    {
        var sb = new StringBuilder();
        var options = new JsonStyle(indent, sortKeys, separators?.Item ?? (indent is null ? ", " : ","), separators?.Key ?? ": ");
        return Write(sb, value, options, 0) ? sb.ToString() : null;
    }

    private sealed record JsonStyle(int? Indent, bool SortKeys, string ItemSeparator, string KeySeparator);

    private static bool Write(StringBuilder sb, object? value, JsonStyle style, int depth)
    {
        switch (value)
        {
            case null: sb.Append("null"); return true;
            case bool b: sb.Append(b ? "true" : "false"); return true;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); return true;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : TemplateValues.FormatFloat(d));
                return true;
            case string s: WriteString(sb, s); return true;
            case List<object?> list:
                if (list.Count == 0)
                {
                    sb.Append("[]");
                    return true;
                }

                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    Separator(sb, i > 0, style, depth + 1);
                    if (!Write(sb, list[i], style, depth + 1))
                    {
                        return false;
                    }
                }

                Close(sb, style, depth);
                sb.Append(']');
                return true;
            case OrderedDictionary<string, object?> map:
                if (map.Count == 0)
                {
                    sb.Append("{}");
                    return true;
                }

                sb.Append('{');
                var keys = style.SortKeys ? map.Keys.Order(StringComparer.Ordinal).ToList() : [.. map.Keys];
                for (int i = 0; i < keys.Count; i++)
                {
                    Separator(sb, i > 0, style, depth + 1);
                    WriteString(sb, keys[i]);
                    sb.Append(style.KeySeparator);
                    if (!Write(sb, map[keys[i]], style, depth + 1))
                    {
                        return false;
                    }
                }

                Close(sb, style, depth);
                sb.Append('}');
                return true;
            default:
                return false;
        }
    }

    private static void Separator(StringBuilder sb, bool comma, JsonStyle style, int depth)
    {
        if (comma)
        {
            sb.Append(style.ItemSeparator);
        }

        if (style.Indent is { } n)
        {
            sb.Append('\n').Append(' ', n * depth);
        }
    }

    private static void Close(StringBuilder sb, JsonStyle style, int depth)
    {
        if (style.Indent is { } n)
        {
            sb.Append('\n').Append(' ', n * depth);
        }
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
