using System.Text.Json;
using Microsoft.Extensions.AI;
using UNComp.Runtime.Generation;

namespace UNComp.Runtime.Tests.Generation;

public sealed class ToolCallParserTests
{
    private static string Arg(FunctionCallContent call, string name) => ((JsonElement)call.Arguments![name]!).GetRawText();

    [Fact]
    public void Qwen_tool_call_blocks_become_calls_and_the_text_around_them_content()
    {
        var parsed = ToolCallParser.Parse("Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>\n"
            + "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>");

        Assert.Equal("Let me check.", parsed.Content);
        Assert.Equal(["get_weather", "get_time"], parsed.Calls.Select(c => c.Name));
        Assert.Equal("\"Paris\"", Arg(parsed.Calls[0], "city"));
        Assert.Equal("2", Arg(parsed.Calls[0], "days"));
        Assert.Empty(parsed.Calls[1].Arguments!);
        Assert.StartsWith("call_", parsed.Calls[0].CallId, StringComparison.Ordinal);
        Assert.NotEqual(parsed.Calls[0].CallId, parsed.Calls[1].CallId);
    }

    [Fact]
    public void Qwen_call_without_its_closing_tag_at_the_end_of_the_reply_is_accepted()
    {
        var parsed = ToolCallParser.Parse("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": [1, 2]}}\n");
        Assert.Equal("f", Assert.Single(parsed.Calls).Name);
        Assert.Equal("[1, 2]", Arg(parsed.Calls[0], "x"));
        Assert.Equal(string.Empty, parsed.Content);
    }

    [Fact]
    public void Mistral_tool_calls_array_keeps_the_models_call_ids()
    {
        var parsed = ToolCallParser.Parse("[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"abcDEF123\"}, {\"name\": \"get_time\", \"arguments\": {\"tz\": \"CET\"}}]");

        Assert.Equal(["get_weather", "get_time"], parsed.Calls.Select(c => c.Name));
        Assert.Equal("abcDEF123", parsed.Calls[0].CallId);
        Assert.Equal("\"CET\"", Arg(parsed.Calls[1], "tz"));
        Assert.Equal(string.Empty, parsed.Content);
    }

    [Fact]
    public void Mistral_name_args_format_of_newer_tokenizers_is_read()
    {
        var parsed = ToolCallParser.Parse("[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Oslo\"}[TOOL_CALLS]get_time[ARGS]{}");
        Assert.Equal(["get_weather", "get_time"], parsed.Calls.Select(c => c.Name));
        Assert.Equal("\"Oslo\"", Arg(parsed.Calls[0], "city"));
    }

    [Fact]
    public void Llama_json_reply_with_parameters_is_a_call()
    {
        var parsed = ToolCallParser.Parse("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}");
        var call = Assert.Single(parsed.Calls);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("\"celsius\"", Arg(call, "unit"));
        Assert.Equal(string.Empty, parsed.Content);
    }

    [Fact]
    public void Llama_python_tag_with_several_calls_separated_by_semicolons()
    {
        var parsed = ToolCallParser.Parse("<|python_tag|>{\"name\": \"a\", \"parameters\": {\"n\": 1}}; {\"name\": \"b\", \"arguments\": \"{\\\"m\\\": true}\"}");
        Assert.Equal(["a", "b"], parsed.Calls.Select(c => c.Name));
        Assert.Equal("true", Arg(parsed.Calls[1], "m")); // arguments given as a JSON string are unpacked
    }

    [Theory]
    [InlineData("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"city\": \"Paris\"\n</tool_call>")] // truncated JSON
    [InlineData("<tool_call>{\"arguments\": {}}</tool_call>")]                                      // no name
    [InlineData("<tool_call>{\"name\": \"f\", \"arguments\": [1]}</tool_call>")]                     // arguments not an object
    [InlineData("[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {]")]                                 // broken array
    [InlineData("{\"name\": \"f\", \"parameters\": {}} and then some prose")]                         // trailing text after a bare call
    [InlineData("{\"answer\": 42}")]                                                                  // JSON that is not a call
    [InlineData("<|python_tag|>print('hi')")]                                                         // code-interpreter text, not JSON
    public void Malformed_calls_come_back_as_plain_text(string text)
    {
        var parsed = ToolCallParser.Parse(text);
        Assert.Empty(parsed.Calls);
        Assert.Equal(text, parsed.Content);
    }

    [Fact]
    public void Text_without_calls_is_content()
    {
        var parsed = ToolCallParser.Parse("The weather in Paris is sunny.");
        Assert.Empty(parsed.Calls);
        Assert.Equal("The weather in Paris is sunny.", parsed.Content);
    }

    [Theory]
    [InlineData("Sure.<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": 1}}</tool_call>", "Sure.")]
    [InlineData("  \n{\"name\": \"f\", \"parameters\": {\"a\": 1}}", "")]
    [InlineData("ok [TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"a\": 1}}]", "ok ")]
    public void Streaming_passes_content_before_the_call_and_holds_the_call_whatever_the_chunking(string reply, string streamedBeforeCall)
    {
        foreach (int chunk in new[] { 1, 2, 5, 1000 })
        {
            var filter = new ToolCallStreamFilter();
            string streamed = string.Concat(Enumerable.Range(0, (reply.Length + chunk - 1) / chunk)
                .Select(i => filter.Push(reply.Substring(i * chunk, Math.Min(chunk, reply.Length - (i * chunk))))));
            var end = filter.Finish();

            Assert.Equal(streamedBeforeCall, streamed);
            Assert.Equal("f", Assert.Single(end.Calls).Name);
            Assert.Equal("1", Arg(end.Calls[0], "a"));
            Assert.Equal(string.Empty, end.Content);
        }
    }

    [Fact]
    public void Streaming_a_malformed_call_returns_the_held_text_at_the_end()
    {
        const string reply = "Hi <tool_call>{\"name\": broken</tool_call> bye";
        var filter = new ToolCallStreamFilter();
        string streamed = string.Concat(reply.Select(c => filter.Push(c.ToString())));
        var end = filter.Finish();

        Assert.Empty(end.Calls);
        Assert.Equal(reply, streamed + end.Content);
        Assert.Equal("Hi ", streamed);
    }

    [Fact]
    public void Streaming_plain_text_holds_back_only_a_possible_marker_start()
    {
        var filter = new ToolCallStreamFilter();
        Assert.Equal("Use a ", filter.Push("Use a <tool"));
        Assert.Equal("<tools> tag", filter.Push("s> tag"));
        Assert.Equal(string.Empty, filter.Finish().Content);
    }
}
