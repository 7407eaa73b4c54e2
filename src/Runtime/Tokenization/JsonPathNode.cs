using System.Text.Json;

namespace UNComp.Runtime.Tokenization;

/// <summary>A JSON value together with its path, so every error can name where it happened.</summary>
internal readonly struct JsonPathNode
{
    public JsonPathNode(JsonElement element, string path, string source)
    {
        Element = element;
        Path = path;
        Source = source;
    }

    public JsonElement Element { get; }

    public string Path { get; }

    public string Source { get; }

    public bool IsNull => Element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    public TokenizerFormatException Error(string problem) => new(Source, Path, problem);

    /// <summary>The property, or null when it is missing or JSON null.</summary>
    public JsonPathNode? Optional(string name)
    {
        if (Element.ValueKind != JsonValueKind.Object)
        {
            throw Error($"expected an object with \"{name}\"");
        }

        return Element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? new JsonPathNode(value, Path + "." + name, Source)
            : null;
    }

    public JsonPathNode Required(string name) =>
        Optional(name) ?? throw new TokenizerFormatException(Source, Path + "." + name, "required value is missing");

    public string String()
    {
        if (Element.ValueKind != JsonValueKind.String)
        {
            throw Error($"expected a string, found {Describe()}");
        }

        return Element.GetString()!;
    }

    public bool Bool()
    {
        return Element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"expected true or false, found {Describe()}"),
        };
    }

    public int Int()
    {
        if (Element.ValueKind != JsonValueKind.Number || !Element.TryGetInt32(out var value))
        {
            throw Error($"expected an integer, found {Describe()}");
        }

        return value;
    }

    public string? OptionalString(string name) => Optional(name)?.String();

    public bool OptionalBool(string name, bool fallback) => Optional(name)?.Bool() ?? fallback;

    public int OptionalInt(string name, int fallback) => Optional(name)?.Int() ?? fallback;

    public string TypeName() => Required("type").String();

    public List<JsonPathNode> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array)
        {
            throw Error($"expected an array, found {Describe()}");
        }

        var items = new List<JsonPathNode>(Element.GetArrayLength());
        var index = 0;
        foreach (var item in Element.EnumerateArray())
        {
            items.Add(new JsonPathNode(item, $"{Path}[{index}]", Source));
            index++;
        }

        return items;
    }

    public List<KeyValuePair<string, JsonPathNode>> Properties()
    {
        if (Element.ValueKind != JsonValueKind.Object)
        {
            throw Error($"expected an object, found {Describe()}");
        }

        var list = new List<KeyValuePair<string, JsonPathNode>>();
        foreach (var property in Element.EnumerateObject())
        {
            list.Add(new(property.Name, new JsonPathNode(property.Value, $"{Path}[\"{property.Name}\"]", Source)));
        }

        return list;
    }

    public string Describe() => Element.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
