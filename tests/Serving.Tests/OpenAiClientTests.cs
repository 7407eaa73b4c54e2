using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using UNComp.Runtime.Generation;

namespace UNComp.Serving.Tests;

/// <summary>End to end with the OpenAI .NET client (through Microsoft.Extensions.AI.OpenAI) on loopback.</summary>
public sealed class OpenAiClientTests(FixtureModel fixture) : IClassFixture<FixtureModel>
{
    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "Answer briefly."),
        new(ChatRole.User, "The pass key is 58213. Remember it. What is the pass key?"),
    ];

    private static IChatClient Client(Uri baseAddress, string key = "unused") =>
        new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(baseAddress, "v1") })
            .GetChatClient("fixture-llama").AsIChatClient();

    private ServedModel Served() => new("fixture-llama", fixture.Model, fixture.Codec);

    private async Task<string> DirectAsync(int maxTokens)
    {
        using var direct = new UNCompChatClient(fixture.Model, fixture.Codec, new GeneratorParams { MaxLength = 512 });
        return (await direct.GetResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = maxTokens })).Text;
    }

    [Fact]
    public async Task Chat_response_equals_direct_generation_with_usage_counts()
    {
        await using var server = await RunningServer.StartAsync(Served());
        var response = await Client(server.BaseAddress).GetResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = 10, Temperature = 0 });

        Assert.Equal(await DirectAsync(10), response.Text);
        int promptTokens = fixture.Codec.Encode(ChatTemplate.Plain.Format(Conversation), addSpecialTokens: true).Count;
        Assert.Equal(promptTokens, response.Usage!.InputTokenCount);
        Assert.InRange(response.Usage.OutputTokenCount!.Value, 1, 10);
        Assert.Equal(promptTokens + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
        Assert.Equal("fixture-llama", response.ModelId);
    }

    [Fact]
    public async Task Streaming_updates_concatenate_to_the_direct_text_and_end_with_usage()
    {
        await using var server = await RunningServer.StartAsync(Served());
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in Client(server.BaseAddress).GetStreamingResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = 10, Temperature = 0 }))
        {
            updates.Add(update);
        }

        Assert.True(updates.Count(u => u.Text.Length > 0) >= 2, "expected the text in several chunks");
        Assert.Equal(await DirectAsync(10), string.Concat(updates.Select(u => u.Text)));
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single();
        Assert.True(usage.Details.OutputTokenCount is >= 1 and <= 10);
        Assert.Contains(updates, u => u.FinishReason is not null);
    }

    [Fact]
    public async Task Same_seed_gives_the_same_sampled_text()
    {
        await using var server = await RunningServer.StartAsync(Served());
        var client = Client(server.BaseAddress);
        var options = new ChatOptions { MaxOutputTokens = 12, Temperature = 0.9f, TopP = 0.95f, Seed = 1234 };
        var first = await client.GetResponseAsync(Conversation, options);
        var second = await client.GetResponseAsync(Conversation, options);
        Assert.Equal(first.Text, second.Text);
        Assert.NotEmpty(first.Text);
    }

    [Fact]
    public async Task Bearer_key_is_required_when_configured_and_the_client_sends_it()
    {
        await using var server = await RunningServer.StartAsync(Served(), new ServerOptions { ApiKey = "s3cret" });
        using var anonymous = await server.Http.GetAsync("v1/models");
        Assert.Equal(401, (int)anonymous.StatusCode);
        Assert.Contains("\"type\":\"authentication_error\"", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await Assert.ThrowsAnyAsync<ClientResultException>(() => Client(server.BaseAddress, "wrong").GetResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = 2 }));
        var ok = await Client(server.BaseAddress, "s3cret").GetResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = 2 });
        Assert.NotNull(ok.Usage);
        using var health = await server.Http.GetAsync("health");
        Assert.Equal(200, (int)health.StatusCode);
    }
}
