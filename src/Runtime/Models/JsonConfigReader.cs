using System.Text.Json;

namespace UNComp.Runtime.Models;

/// <summary>Typed field access over a parsed JSON object with errors that name the file and the field.</summary>
internal readonly struct JsonConfigReader
{
    private readonly JsonElement _root;
    private readonly string _file;
    private readonly string _prefix;

    public JsonConfigReader(JsonElement root, string file, string prefix = "")
    {
        _root = root;
        _file = file;
        _prefix = prefix;
    }

    public JsonElement Root => _root;

    public static JsonDocument Parse(string file)
    {
        if (!File.Exists(file))
        {
            throw ModelFormatException.For(file, "file not found.");
        }

        return Parse(File.ReadAllBytes(file), file);
    }

    /// <summary>Parses UTF-8 JSON whose top level must be an object; <paramref name="file"/> names it in errors.</summary>
    public static JsonDocument Parse(byte[] utf8, string file)
    {
        try
        {
            var doc = JsonDocument.Parse(utf8, new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
            });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                throw ModelFormatException.For(file, "the top level must be a JSON object.");
            }

            if (JsonStrings.FindInvalid(doc.RootElement) is { } bad)
            {
                doc.Dispose();
                throw ModelFormatException.For(file, $"field '{bad}': the string is not valid Unicode (invalid UTF-8 or a lone surrogate escape).");
            }

            return doc;
        }
        catch (JsonException ex)
        {
            throw ModelFormatException.For(file, $"invalid JSON ({ex.Message}).", ex);
        }
    }

    public string Path(string field) => _prefix.Length == 0 ? field : _prefix + "." + field;

    public ModelFormatException Error(string field, string problem) =>
        ModelFormatException.For(_file, $"field '{Path(field)}': {problem}");

    public bool TryGet(string field, out JsonElement value)
    {
        if (_root.TryGetProperty(field, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }

    public bool Has(string field) => TryGet(field, out _);

    public int RequiredPositiveInt(string field)
    {
        if (!TryGet(field, out _))
        {
            throw Error(field, "missing; it is required and must be a positive integer.");
        }

        return OptionalPositiveInt(field, 0);
    }

    public int OptionalPositiveInt(string field, int fallback)
    {
        if (!TryGet(field, out var v))
        {
            return fallback;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i) || i <= 0)
        {
            throw Error(field, $"expected a positive integer, found {Show(v)}.");
        }

        return i;
    }

    public double OptionalPositiveDouble(string field, double fallback)
    {
        if (!TryGet(field, out var v))
        {
            return fallback;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !(d > 0) || double.IsInfinity(d))
        {
            throw Error(field, $"expected a positive number, found {Show(v)}.");
        }

        return d;
    }

    public bool OptionalBool(string field, bool fallback)
    {
        if (!TryGet(field, out var v))
        {
            return fallback;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(field, $"expected true or false, found {Show(v)}."),
        };
    }

    public string? OptionalString(string field)
    {
        if (!TryGet(field, out var v))
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            throw Error(field, $"expected a string, found {Show(v)}.");
        }

        return v.GetString();
    }

    /// <summary>Reads an int or an array of ints (HF writes eos_token_id both ways).</summary>
    public int[] OptionalIntOrIntArray(string field)
    {
        if (!TryGet(field, out var v))
        {
            return [];
        }

        if (v.ValueKind == JsonValueKind.Number)
        {
            return [ReadTokenId(field, v)];
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Error(field, $"expected an integer or an array of integers, found {Show(v)}.");
        }

        var list = new List<int>();
        foreach (var item in v.EnumerateArray())
        {
            list.Add(ReadTokenId(field, item));
        }

        return [.. list];
    }

    public JsonConfigReader Child(string field, JsonElement element) => new(element, _file, Path(field));

    private int ReadTokenId(string field, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i) || i < 0)
        {
            throw Error(field, $"expected a non-negative token id, found {Show(v)}.");
        }

        return i;
    }

    public static string Show(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => "\"" + v.GetString() + "\"",
        JsonValueKind.Number => v.GetRawText(),
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };
}
