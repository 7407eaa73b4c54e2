using System.Text.Json;
using UNComp.Runtime.Templating;

namespace UNComp.Runtime.Tests.Templating;

/// <summary>
/// Small expressions rendered by Python's Jinja2 in transformers' chat-template environment
/// (tests/fixtures/chat-templates/expressions.json, from tools/chat-templates/render_expressions.py): Python's str
/// and repr of values, arithmetic, slices, string methods, filters, tests, loops, macros and whitespace control.
/// </summary>
public sealed class PythonSemanticsTests
{
    private static readonly Lazy<JsonElement> Fixture = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(ChatTemplateFixtures.Directory, "expressions.json"))).RootElement.Clone());

    public static TheoryData<int> Indices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Fixture.Value.GetProperty("cases").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Indices))]
    public void Expression_renders_like_python_jinja2(int index)
    {
        var c = Fixture.Value.GetProperty("cases")[index];
        var variables = Fixture.Value.GetProperty("variables").EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, p.Value)).ToList();
        var template = JinjaTemplate.Parse(c.GetProperty("template").GetString()!, $"expression {index}");
        if (c.TryGetProperty("error", out var error))
        {
            var ex = Assert.Throws<TemplateException>(() => template.Render(variables));
            Assert.Equal(error.GetString(), "TemplateError: " + ex.Reason);
        }
        else
        {
            Assert.Equal(c.GetProperty("output").GetString(), template.Render(variables));
        }
    }
}
