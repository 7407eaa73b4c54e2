using System.Text.Json;
using UNComp.Runtime.Templating;

namespace UNComp.Runtime.Tests.Templating;

/// <summary>Every public chat template renders every golden case exactly as the reference renderer did.</summary>
public sealed class ChatTemplateGoldenTests
{
    [Theory]
    [MemberData(nameof(Names))]
    public void Public_template_renders_like_the_reference(string caseName)
    {
        var c = ChatTemplateFixtures.Cases[caseName];
        var golden = ChatTemplateFixtures.Goldens[caseName];
        var template = JinjaTemplate.Parse(ChatTemplateFixtures.Template(c.GetProperty("template").GetString()!), c.GetProperty("template").GetString()!);
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = c.GetProperty("messages"),
            ["add_generation_prompt"] = c.GetProperty("add_generation_prompt").GetBoolean(),
            ["bos_token"] = c.GetProperty("bos_token").GetString(),
            ["eos_token"] = c.GetProperty("eos_token").GetString(),
        };
        if (c.TryGetProperty("tools", out var tools))
        {
            variables["tools"] = tools;
        }

        if (c.TryGetProperty("extra", out var extra))
        {
            foreach (var p in extra.EnumerateObject())
            {
                variables[p.Name] = p.Value;
            }
        }

        if (golden.TryGetProperty("error", out var error))
        {
            var ex = Assert.Throws<TemplateException>(() => template.Render(variables));
            Assert.True(ex.RaisedByTemplate, ex.Message);
            Assert.Equal(error.GetString(), ex.Reason);
        }
        else
        {
            Assert.Equal(golden.GetProperty("output").GetString(), template.Render(variables));
        }
    }

    public static TheoryData<string> Names() => ChatTemplateFixtures.CaseNames();

    [Fact]
    public void Goldens_cover_llama3_mistral_and_qwen2_with_tools_and_system_prompts()
    {
        var names = ChatTemplateFixtures.Cases.Keys.ToList();
        foreach (var family in new[] { "llama-3/", "llama-3.1/", "mistral-v0.1/", "mixtral/", "mistral-nemo/", "qwen2/", "qwen2.5/" })
        {
            Assert.Contains(names, n => n.StartsWith(family, StringComparison.Ordinal));
        }

        Assert.Contains(ChatTemplateFixtures.Cases.Values, c => c.TryGetProperty("tools", out _)
            && c.GetProperty("messages").EnumerateArray().Any(m => m.GetProperty("role").GetString() == "tool"));
        Assert.Equal(ChatTemplateFixtures.Cases.Count, ChatTemplateFixtures.Goldens.Count);
    }
}
