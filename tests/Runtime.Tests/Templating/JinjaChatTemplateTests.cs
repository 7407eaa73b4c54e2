using System.Text.Json;
using Microsoft.Extensions.AI;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Templating;

public sealed class JinjaChatTemplateTests
{
    private static JinjaChatTemplate Load(string file, string? bos, string eos) => new(ChatTemplateFixtures.Template(file), bos, eos, file);

    private static string Golden(string name) => ChatTemplateFixtures.Goldens[name].GetProperty("output").GetString()!;

    private static readonly ChatMessage[] Chat =
    [
        new(ChatRole.User, "Hello, how are you?"),
        new(ChatRole.Assistant, "I'm doing great. How can I help you today?"),
        new(ChatRole.User, "  What is the pass key?  "),
    ];

    [Fact]
    public void Chat_messages_render_like_the_golden_conversation()
    {
        var template = Load("llama-3-instruct.jinja", "<|begin_of_text|>", "<|eot_id|>");
        Assert.Equal(Golden("llama-3/multi-turn"), template.Format(Chat));
        Assert.False(template.AddSpecialTokens);
    }

    [Fact]
    public void Tool_calls_results_and_tool_declarations_map_to_transformers_message_shape()
    {
        var c = ChatTemplateFixtures.Cases["qwen2.5/tools"];
        var schema = c.GetProperty("tools")[0].GetProperty("function");
        var tool = AIFunctionFactory.CreateDeclaration(
            schema.GetProperty("name").GetString()!, schema.GetProperty("description").GetString(), schema.GetProperty("parameters"));
        ChatMessage[] messages =
        [
            new(ChatRole.System, c.GetProperty("messages")[0].GetProperty("content").GetString()),
            new(ChatRole.User, "What's the temperature in Paris now?"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "get_current_temperature",
                new Dictionary<string, object?> { ["location"] = "Paris, France", ["unit"] = "celsius" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", "22.5"), new FunctionResultContent("call_2", JsonDocument.Parse("{\"humidity\": 40}").RootElement)]),
        ];
        var template = Load("qwen2.5-instruct.jinja", null, "<|im_end|>");
        Assert.Equal(Golden("qwen2.5/tools"), template.Format(messages, new ChatOptions { Tools = [tool] }));
    }

    [Fact]
    public void Template_switches_travel_as_additional_properties()
    {
        var template = Load("llama-3.1-instruct.jinja", "<|begin_of_text|>", "<|eot_id|>");
        var options = new ChatOptions { AdditionalProperties = new() { ["date_string"] = "27 Nov 2026" } };
        string prompt = template.Format([new(ChatRole.User, "hi")], options);
        Assert.Contains("Today Date: 27 Nov 2026\n", prompt, StringComparison.Ordinal);
        Assert.EndsWith("<|start_header_id|>assistant<|end_header_id|>\n\n", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_directory_template_is_read_from_tokenizer_config_with_its_special_tokens()
    {
        using var dir = new TempDir();
        var config = new Dictionary<string, object?>
        {
            ["bos_token"] = new Dictionary<string, object?> { ["content"] = "<s>", ["lstrip"] = false },
            ["eos_token"] = "</s>",
            ["chat_template"] = ChatTemplateFixtures.Template("mixtral-8x7b-instruct-v0.1.jinja"),
        };
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer_config.json"), JsonSerializer.Serialize(config));
        var template = JinjaChatTemplate.FromModelDirectory(dir.Path)!;
        Assert.Equal("<s>", template.BosToken);
        Assert.Equal("</s>", template.EosToken);
        Assert.Equal(Golden("mixtral/multi-turn"), template.Format(Chat));
    }

    [Fact]
    public void Model_directory_without_a_template_gives_null()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        Assert.Null(JinjaChatTemplate.FromModelDirectory(dir.Path));
    }
}
