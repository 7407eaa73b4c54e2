using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Serving;

namespace UNComp.Serving.Tests;

/// <summary>The wire protocol with plain HTTP and curl: SSE, stop sequences, limits, errors, disconnects.</summary>
public sealed class HttpProtocolTests(FixtureModel fixture) : IClassFixture<FixtureModel>
{
    private const string Prompt = "The pass key is 58213. Remember it. What is the pass key? The pass key is";

    private ServedModel Served(GeneratorParams? defaults = null, ChatTemplate? template = null) => new("fixture-llama", fixture.Model, fixture.Codec, defaults, template);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<(int Status, JsonElement Body)> PostAsync(RunningServer server, string path, string json)
    {
        using var response = await server.Http.PostAsync(path, Json(json));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((int)response.StatusCode, doc.RootElement.Clone());
    }

    private static string CompletionText(JsonElement body) => body.GetProperty("choices")[0].GetProperty("text").GetString()!;

    [Fact]
    public async Task Models_lists_the_served_id()
    {
        await using var server = await RunningServer.StartAsync(Served());
        using var doc = JsonDocument.Parse(await server.Http.GetStringAsync("v1/models"));
        Assert.Equal("fixture-llama", doc.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Completion_answers_the_passkey_and_counts_tokens()
    {
        await using var server = await RunningServer.StartAsync(Served());
        var (status, body) = await PostAsync(server, "v1/completions", $$"""{"model": "fixture-llama", "prompt": "{{Prompt}}", "max_tokens": 8}""");
        Assert.Equal(200, status);
        Assert.StartsWith(" 58213", CompletionText(body), StringComparison.Ordinal);
        var usage = body.GetProperty("usage");
        Assert.Equal(fixture.Codec.Encode(Prompt, true).Count, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Profile_served_model_compresses_the_cache_and_still_finds_the_passkey()
    {
        var profile = UNComp.Runtime.Profiles.ProfileLoader.Load(Path.Combine(fixture.Directory, "..", "..", "profiles", "fixture-llama.uncomp.json"));
        var served = ServedModel.WithProfile("fixture-llama", fixture.Model, fixture.Codec, profile);
        await using var server = await RunningServer.StartAsync(served);
        string filler = string.Concat(Enumerable.Repeat("The grass is green. The sky is blue. ", 60));
        string prompt = "The pass key is 58213. Remember it. " + filler + "What is the pass key? The pass key is";
        var (status, body) = await PostAsync(server, "v1/completions", JsonSerializer.Serialize(new Dictionary<string, object> { ["prompt"] = prompt, ["max_tokens"] = 6 }));
        Assert.Equal(200, status);
        Assert.True(body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 512);
        Assert.StartsWith(" 58213", CompletionText(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_sequence_ends_the_text_before_it_with_finish_reason_stop()
    {
        await using var server = await RunningServer.StartAsync(Served());
        var (_, free) = await PostAsync(server, "v1/completions", $$"""{"prompt": "Once upon a time", "max_tokens": 16}""");
        string text = CompletionText(free);
        Assert.True(text.Length >= 8, $"need a longer greedy continuation than '{text}'");
        string stop = text.Substring(text.Length / 2, 2);
        int cut = text.IndexOf(stop, StringComparison.Ordinal);

        var (status, stopped) = await PostAsync(server, "v1/completions", $$"""{"prompt": "Once upon a time", "max_tokens": 16, "stop": [{{JsonSerializer.Serialize(stop)}}]}""");
        Assert.Equal(200, status);
        Assert.Equal(text[..cut], CompletionText(stopped));
        Assert.Equal("stop", stopped.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Curl_streams_server_sent_events_that_concatenate_to_the_plain_response()
    {
        await using var server = await RunningServer.StartAsync(Served());
        var (_, plain) = await PostAsync(server, "v1/completions", $$"""{"prompt": "{{Prompt}}", "max_tokens": 8}""");
        string body = $$$"""{"prompt": "{{{Prompt}}}", "max_tokens": 8, "stream": true, "stream_options": {"include_usage": true}}""";
        var (exit, output) = await CurlAsync(server, "v1/completions", body, maxSeconds: 60);
        Assert.Equal(0, exit);
        var events = output.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Trim()).ToList();
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events.SkipLast(1).Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        string streamed = string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(CompletionText(plain), streamed);
        Assert.Equal(plain.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Curl_disconnect_cancels_the_generation_and_frees_the_slot()
    {
        // No eos ids: the generation runs for all 2000 tokens unless the disconnect stops it.
        await using var server = await RunningServer.StartAsync(Served(new GeneratorParams { EosTokenIds = [] }));
        string body = """{"prompt": "Once upon a time", "max_tokens": 2000, "stream": true}""";
        var (exit, output) = await CurlAsync(server, "v1/completions", body, maxSeconds: 3);
        Assert.Equal(28, exit); // curl: operation timed out, i.e. the client hung up mid-stream
        Assert.StartsWith("data: ", output, StringComparison.Ordinal);
        await WaitUntilAsync(() => server.Server.Statistics.Cancelled == 1 && server.Server.Scheduler.Admitted == 0);
        Assert.Equal(0, server.Server.Statistics.Completed);

        var (status, _) = await PostAsync(server, "v1/completions", """{"prompt": "Once upon a time", "max_tokens": 2}""");
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Http_client_disconnect_mid_stream_cancels_the_generation()
    {
        await using var server = await RunningServer.StartAsync(Served(new GeneratorParams { EosTokenIds = [] }));
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = Json("""{"messages": [{"role": "user", "content": "Tell me a long story."}], "max_tokens": 2000, "stream": true}"""),
        };
        using (var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync(), StringComparison.Ordinal);
        }

        await WaitUntilAsync(() => server.Server.Statistics.Cancelled == 1 && server.Server.Scheduler.Admitted == 0);
    }

    [Fact]
    public async Task Full_queue_answers_429_and_accepts_again_once_the_slot_is_free()
    {
        await using var server = await RunningServer.StartAsync(Served(new GeneratorParams { EosTokenIds = [] }), new ServerOptions { MaxQueuedRequests = 0 });
        string body = """{"prompt": "Once upon a time", "max_tokens": 2}""";
        // Hold the only slot with a long generation submitted straight to the scheduler.
        using (var holder = server.Server.Scheduler.TrySubmit(new BatchRequest([.. fixture.Codec.Encode("Once", true)], 2000, SamplingOptions.Greedy, []))!)
        {
            var (status, error) = await PostAsync(server, "v1/completions", body);
            Assert.Equal(429, status);
            Assert.Equal("server_busy", error.GetProperty("error").GetProperty("code").GetString());
        }

        await WaitUntilAsync(() => server.Server.Scheduler.Admitted == 0);
        Assert.Equal(200, (await PostAsync(server, "v1/completions", body)).Status);
    }

    [Fact]
    public async Task Body_over_the_limit_answers_413_with_a_json_error()
    {
        await using var server = await RunningServer.StartAsync(Served(), new ServerOptions { MaxRequestBodyBytes = 2048 });
        string prompt = new('a', 10_000);
        var (status, error) = await PostAsync(server, "v1/completions", $$"""{"prompt": "{{prompt}}", "max_tokens": 2}""");
        Assert.Equal(413, status);
        Assert.Contains("2048 bytes", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"prompt": "x", "max_tokens": 5000}""", 400, "max_tokens")]
    [InlineData("""{"prompt": "x", "n": 2}""", 400, "n")]
    [InlineData("""{"prompt": "x", "temperature": 3}""", 400, "temperature")]
    [InlineData("""{"prompt": "x", "stop": [1]}""", 400, "stop")]
    [InlineData("""{"max_tokens": 2}""", 400, "prompt")]
    [InlineData("""{"prompt": "x", "model": "gpt-4o"}""", 404, "model")]
    public async Task Invalid_requests_answer_4xx_naming_the_field(string json, int expectedStatus, string param)
    {
        await using var server = await RunningServer.StartAsync(Served());
        var (status, body) = await PostAsync(server, "v1/completions", json);
        Assert.Equal(expectedStatus, status);
        Assert.Equal(param, body.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(1, server.Server.Statistics.Rejected);
    }

    [Fact]
    public async Task Malformed_json_answers_400()
    {
        await using var server = await RunningServer.StartAsync(Served());
        var (status, body) = await PostAsync(server, "v1/chat/completions", "{\"messages\": [");
        Assert.Equal(400, status);
        Assert.StartsWith("the request body is not valid JSON", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prompt_beyond_the_context_answers_400_context_length_exceeded()
    {
        await using var server = await RunningServer.StartAsync(Served(new GeneratorParams { MaxLength = 32 }));
        var (status, body) = await PostAsync(server, "v1/completions", $$"""{"prompt": "{{Prompt}}", "max_tokens": 16}""");
        Assert.Equal(400, status);
        Assert.Equal("context_length_exceeded", body.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Chat_uses_the_jinja_template_and_reports_its_raise_exception_as_400()
    {
        const string chatMl = "{% for m in messages %}{{ '<|' + m.role + '|>' + m.content + '\\n' }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";
        var template = new JinjaChatTemplate(chatMl, null, null);
        await using var server = await RunningServer.StartAsync(Served(template: template));
        var (status, body) = await PostAsync(server, "v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}""");
        Assert.Equal(200, status);
        Assert.Equal(fixture.Codec.Encode("<|user|>hi\n<|assistant|>", false).Count, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        var strict = new JinjaChatTemplate("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}x", null, null);
        await using var strictServer = await RunningServer.StartAsync(Served(template: strict));
        var (strictStatus, error) = await PostAsync(strictServer, "v1/chat/completions", """{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]}""");
        Assert.Equal(400, strictStatus);
        Assert.Contains("System role not supported", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Engine_failure_answers_500_with_a_json_reason()
    {
        var served = new ServedModel("fixture-llama", fixture.Model, new FailingCodec());
        await using var server = await RunningServer.StartAsync(served);
        var (status, body) = await PostAsync(server, "v1/completions", """{"prompt": "x", "max_tokens": 2}""");
        Assert.Equal(500, status);
        Assert.Contains("codec broke", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private sealed class FailingCodec : ITokenCodec
    {
        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens) => throw new InvalidOperationException("codec broke");

        public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens) => string.Empty;
    }

    [Fact]
    public void Binding_beyond_loopback_without_a_key_is_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ServerOptions { Host = "0.0.0.0" }.Validate());
        Assert.Contains("--api-key", ex.Message, StringComparison.Ordinal);
        new ServerOptions { Host = "0.0.0.0", ApiKey = "k" }.Validate();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "condition not reached within 10 s");
    }

    private static async Task<(int ExitCode, string Output)> CurlAsync(RunningServer server, string path, string body, int maxSeconds)
    {
        var start = new ProcessStartInfo("curl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in new[] { "-sN", "--max-time", maxSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-H", "Content-Type: application/json", "--data-binary", "@-", new Uri(server.BaseAddress, path).ToString() })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(body);
        process.StandardInput.Close();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
