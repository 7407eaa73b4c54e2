using System.ClientModel;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using UNComp.Runtime.Generation;

namespace UNComp.Serving.Tests;

/// <summary>
/// Tool calls end to end: a scripted engine writes a Qwen-style tool call, the server returns it as OpenAI
/// <c>tool_calls</c>, and the OpenAI .NET client (through Microsoft.Extensions.AI.OpenAI) sees FunctionCallContent.
/// </summary>
public sealed class ToolCallServingTests(FixtureModel fixture) : IClassFixture<FixtureModel>
{
    private const string ToolTemplate = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if tools %}{% for t in tools %}[{{ t.function.name }}]{% endfor %}\n{% endif %}<|assistant|>";
    private const string Call = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>";

    private static readonly AITool Weather = AIFunctionFactory.CreateDeclaration("get_weather", "Weather forecast of a city",
        JsonDocument.Parse("{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}, \"days\": {\"type\": \"integer\"}}, \"required\": [\"city\"]}").RootElement);

    private async Task<RunningServer> StartAsync(string reply)
    {
        var served = new ServedModel("fixture-llama", fixture.Model, fixture.Codec, template: new JinjaChatTemplate(ToolTemplate, "<s>", "</s>"));
        int[] ids = [.. fixture.Codec.Encode(reply, addSpecialTokens: false)];
        Assert.Equal(reply, fixture.Codec.Decode(ids, skipSpecialTokens: false)); // the script survives the tokenizer
        return await RunningServer.StartAsync(served, engine: new ScriptedEngine(ids, served.EosTokenIds[0], fixture.Model.Config.VocabSize));
    }

    private static IChatClient Client(Uri baseAddress) =>
        new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(baseAddress, "v1") })
            .GetChatClient("fixture-llama").AsIChatClient();

    [Fact]
    public async Task OpenAI_client_receives_the_models_tool_call_as_FunctionCallContent()
    {
        await using var server = await StartAsync("I'll look it up.\n" + Call);
        var response = await Client(server.BaseAddress).GetResponseAsync([new ChatMessage(ChatRole.User, "Weather in Paris?")], new ChatOptions { Tools = [Weather] });

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", call.Arguments!["city"]?.ToString());
        Assert.Equal("2", call.Arguments["days"]?.ToString());
        Assert.StartsWith("call_", call.CallId, StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.Equal("I'll look it up.", response.Text);
    }

    [Fact]
    public async Task OpenAI_client_streaming_assembles_the_tool_call_from_the_deltas()
    {
        await using var server = await StartAsync(Call);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in Client(server.BaseAddress).GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Weather in Paris?")], new ChatOptions { Tools = [Weather] }))
        {
            updates.Add(u);
        }

        var response = updates.ToChatResponse();
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", call.Arguments!["city"]?.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.Equal(string.Empty, response.Text);
    }

    [Fact]
    public async Task Wire_format_has_tool_calls_with_null_content_and_json_string_arguments()
    {
        await using var server = await StartAsync(Call);
        using var http = await server.Http.PostAsync("v1/chat/completions", new StringContent(
            """{"messages": [{"role": "user", "content": "Weather?"}], "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]}""",
            Encoding.UTF8, "application/json"));
        var body = await http.Content.ReadFromJsonAsync<JsonElement>();
        var choice = body.GetProperty("choices")[0];
        var message = choice.GetProperty("message");

        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        var call = message.GetProperty("tool_calls")[0];
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("""{"city":"Paris","days":2}""", call.GetProperty("function").GetProperty("arguments").GetString());
    }

    [Fact]
    public async Task Malformed_tool_call_json_comes_back_as_plain_content()
    {
        const string broken = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \n</tool_call>";
        await using var server = await StartAsync(broken);
        var response = await Client(server.BaseAddress).GetResponseAsync([new ChatMessage(ChatRole.User, "Weather in Paris?")], new ChatOptions { Tools = [Weather] });

        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(broken, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task Without_tools_the_same_reply_is_plain_text()
    {
        await using var server = await StartAsync(Call);
        var response = await Client(server.BaseAddress).GetResponseAsync([new ChatMessage(ChatRole.User, "Weather in Paris?")]);

        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(Call, response.Text);
    }
}
