using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Generation;

/// <summary>UNCompChatClient turns the tool calls of a (scripted) reply into FunctionCallContent, per model family.</summary>
public sealed class ChatClientToolCallTests
{
    private const int Eos = 1002;
    private const string ToolTemplate = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if tools %}tools: {{ tools | length }}\n{% endif %}assistant:";

    private static readonly ChatOptions WithTool = new()
    {
        Tools = [AIFunctionFactory.CreateDeclaration("get_weather", "Weather of a city", JsonDocument.Parse("{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}").RootElement)],
    };

    private static async Task<(List<ChatResponseUpdate> Updates, ChatResponse Response)> RunAsync(string reply, ChatOptions? options)
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        var codec = new SpecialCharCodec();
        var template = new JinjaChatTemplate(ToolTemplate, null, null);
        using var client = new UNCompChatClient(model, codec, new GeneratorParams { EosTokenIds = [Eos] }, template, (_, _, ct) => Script(codec.Encode(reply, false), ct));
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Weather in Paris?")], options))
        {
            updates.Add(u);
        }

        return (updates, updates.ToChatResponse());
    }

    private static async IAsyncEnumerable<int> Script(IReadOnlyList<int> ids, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (int id in ids.Append(Eos))
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return id;
        }
    }

    [Theory]
    [InlineData("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>")]            // Qwen2.5
    [InlineData("[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"a1b2c3d4e\"}]")] // Mistral (marker is a special token)
    [InlineData("<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}")]                        // Llama 3.1 (special token)
    [InlineData("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}")]                                    // Llama 3.x JSON
    public async Task Tool_call_of_each_family_becomes_FunctionCallContent_with_finish_reason_tool_calls(string reply)
    {
        var (updates, response) = await RunAsync(reply, WithTool);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", ((JsonElement)call.Arguments!["city"]!).GetString());
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.Equal(string.Empty, response.Text);
        Assert.DoesNotContain(updates, u => u.Text.Contains("get_weather", StringComparison.Ordinal)); // no call JSON leaked as text
    }

    [Fact]
    public async Task Malformed_tool_call_json_is_returned_as_text_not_a_crash()
    {
        const string reply = "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": </tool_call>";
        var (_, response) = await RunAsync(reply, WithTool);

        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(reply, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task Without_tools_in_the_request_the_reply_is_plain_text_with_special_tokens_skipped()
    {
        var (_, response) = await RunAsync("<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {}}", options: null);

        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("{\"name\": \"get_weather\", \"parameters\": {}}", response.Text);
    }

    /// <summary>One id per character, plus Llama's and Mistral's tool-call markers as special tokens (skipped when asked).</summary>
    private sealed class SpecialCharCodec : ITokenCodec
    {
        private static readonly string[] Specials = ["<|python_tag|>", "[TOOL_CALLS]"];

        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens)
        {
            var ids = new List<int>();
            for (int i = 0; i < text.Length; i++)
            {
                int special = Array.FindIndex(Specials, s => string.CompareOrdinal(text, i, s, 0, s.Length) == 0);
                if (special >= 0)
                {
                    ids.Add(1000 + special);
                    i += Specials[special].Length - 1;
                }
                else
                {
                    ids.Add(text[i]);
                }
            }

            return ids;
        }

        public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens) => string.Concat(ids.Select(id =>
            id < 1000 ? ((char)id).ToString() : skipSpecialTokens ? string.Empty : id == Eos ? "<eos>" : Specials[id - 1000]));
    }
}
