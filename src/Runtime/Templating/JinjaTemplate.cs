using System.Collections;
using System.Text;
using System.Text.Json;

namespace UNComp.Runtime.Templating;

/// <summary>
/// A Jinja template in the subset that Hugging Face chat templates use — <c>if/elif/else</c>, <c>for</c> (with
/// <c>loop</c>, unpacking, inline <c>if</c>, <c>else</c>, <c>break</c>/<c>continue</c>), <c>set</c> (also
/// <c>namespace()</c> attributes and block sets), <c>macro</c>, <c>filter</c> blocks, <c>generation</c> blocks,
/// filters (trim, length, tojson, join, map, selectattr, items, default, …), tests (defined, none, string,
/// mapping, equalto, …), Python string/dict methods, slices, and <c>raise_exception</c> / <c>strftime_now</c> —
/// rendered like transformers' environment (<c>trim_blocks</c>, <c>lstrip_blocks</c>, no autoescape, immutable
/// values). Parsing fails on anything else with a <see cref="TemplateException"/> naming the template line.
/// No reflection: safe for trimming and NativeAOT. Instances are immutable and thread-safe.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly IReadOnlyList<Node> _nodes;

    private JinjaTemplate(string source, string name, IReadOnlyList<Node> nodes)
    {
        Source = source;
        Name = name;
        _nodes = nodes;
    }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>The label used in error messages (e.g. <c>tokenizer_config.json chat_template</c>).</summary>
    public string Name { get; }

    /// <summary>Parses a template.</summary>
    /// <exception cref="TemplateException">A syntax error or an unsupported construct; the message names the line.</exception>
    public static JinjaTemplate Parse(string source, string name = "chat_template")
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(name);
        return new JinjaTemplate(source, name, TemplateParser.Parse(source, name));
    }

    /// <summary>
    /// Renders with the given variables. Values may be null, bool, integers, floating-point numbers, strings,
    /// <see cref="JsonElement"/>s, string-keyed dictionaries and other sequences (lists), nested freely.
    /// </summary>
    /// <exception cref="TemplateException">The template failed or called <c>raise_exception</c> (<see cref="TemplateException.RaisedByTemplate"/>).</exception>
    public string Render(IEnumerable<KeyValuePair<string, object?>> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var scope = new TemplateScope(null);
        foreach (var (key, value) in variables)
        {
            scope.Set(key, ToValue(value));
        }

        var interpreter = new TemplateInterpreter(Name);
        var output = new StringBuilder();
        try
        {
            interpreter.Render(_nodes, scope, output);
        }
        catch (TemplateBuiltins.RaisedException raised)
        {
            throw new TemplateException(Name, raised.Line, raised.Message, raisedByTemplate: true);
        }

        return output.ToString();
    }

    /// <summary>Converts a .NET value into a template value (see <see cref="Render"/> for the accepted types).</summary>
    internal static object? ToValue(object? value) => value switch
    {
        null => null,
        string or bool or long or double or Undefined or TemplateNamespace => value,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        float f => (double)f,
        decimal m => (double)m,
        JsonElement e => TemplateJson.FromJson(e),
        OrderedDictionary<string, object?> map => map,
        IEnumerable<KeyValuePair<string, object?>> pairs => ToMap(pairs),
        IDictionary dictionary => ToMap(dictionary),
        IEnumerable sequence => sequence.Cast<object?>().Select(ToValue).ToList(),
        _ => value.ToString(),
    };

    private static OrderedDictionary<string, object?> ToMap(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        var map = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs)
        {
            map[k] = ToValue(v);
        }

        return map;
    }

    private static OrderedDictionary<string, object?> ToMap(IDictionary dictionary)
    {
        var map = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in dictionary)
        {
            map[entry.Key.ToString() ?? string.Empty] = ToValue(entry.Value);
        }

        return map;
    }
}
