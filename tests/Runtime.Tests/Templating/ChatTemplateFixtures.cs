using System.Text.Json;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Templating;

/// <summary>
/// tests/fixtures/chat-templates: the public chat templates, the cases (conversations, tools, flags) and the goldens
/// rendered by tools/chat-templates/render-goldens.mjs (@huggingface/jinja; cross-checked against transformers'
/// apply_chat_template by render_goldens_transformers.py on the GPU machine).
/// </summary>
internal static class ChatTemplateFixtures
{
    public static string Directory { get; } = FixtureDirectory.Find("tests", "fixtures", "chat-templates");

    private static readonly Lazy<Dictionary<string, JsonElement>> LazyCases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "cases.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    private static readonly Lazy<Dictionary<string, JsonElement>> LazyGoldens = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "goldens.json")));
        return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
    });

    public static IReadOnlyDictionary<string, JsonElement> Cases => LazyCases.Value;

    public static IReadOnlyDictionary<string, JsonElement> Goldens => LazyGoldens.Value;

    public static string Template(string file) => File.ReadAllText(Path.Combine(Directory, "templates", file));

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys)
        {
            data.Add(name);
        }

        return data;
    }
}
