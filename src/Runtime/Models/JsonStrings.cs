using System.Text.Json;

namespace UNComp.Runtime.Models;

/// <summary>
/// Finds strings that System.Text.Json parses but cannot turn into .NET strings (invalid UTF-8, lone surrogate
/// escapes such as <c>"\ud800"</c>): reading them later throws a bare <see cref="InvalidOperationException"/>,
/// so loaders check once up front and report the JSON path instead.
/// </summary>
internal static class JsonStrings
{
    /// <summary>The JSON path of the first property name or string value that is not valid Unicode, or null.</summary>
    public static string? FindInvalid(JsonElement element, string path = "$")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return path + ".<a property name>";
                    }

                    if (FindInvalid(property.Value, path + "." + name) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindInvalid(item, $"{path}[{i++}]") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.String:
                try
                {
                    _ = element.GetString();
                    return null;
                }
                catch (InvalidOperationException)
                {
                    return path;
                }

            default:
                return null;
        }
    }
}
