using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using UNComp.Runtime.Generation;

namespace UNComp.Serving.Tests;

/// <summary>Several requests at once through the scheduler on the CPU engine's slots.</summary>
public sealed class BatchedServingTests(FixtureModel fixture) : IClassFixture<FixtureModel>
{
    private static readonly string[] Prompts =
    [
        "The pass key is 58213. Remember it. What is the pass key? The pass key is",
        "Once upon a time",
        "The capital of the kingdom was",
        "In the morning the baker",
    ];

    private static async Task<string> CompleteAsync(RunningServer server, string prompt, int maxTokens, double temperature = 0, int seed = 0)
    {
        string json = JsonSerializer.Serialize(new Dictionary<string, object> { ["prompt"] = prompt, ["max_tokens"] = maxTokens, ["temperature"] = temperature, ["seed"] = seed });
        using var response = await server.Http.PostAsync("v1/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

    [Fact]
    public async Task Concurrent_requests_on_several_slots_each_equal_their_solo_run()
    {
        var served = new ServedModel("fixture-llama", fixture.Model, fixture.Codec, new GeneratorParams { EosTokenIds = [] });
        var solo = new List<string>();
        await using (var one = await RunningServer.StartAsync(served))
        {
            for (int i = 0; i < Prompts.Length; i++)
            {
                solo.Add(await CompleteAsync(one, Prompts[i], 6 + i, temperature: i % 2 == 0 ? 0 : 0.8, seed: i));
            }
        }

        await using var batched = await RunningServer.StartAsync(served, new ServerOptions { GenerationSlots = 3 });
        var together = await Task.WhenAll(Prompts.Select((p, i) => CompleteAsync(batched, p, 6 + i, temperature: i % 2 == 0 ? 0 : 0.8, seed: i)));

        Assert.Equal(solo, together);
        Assert.True(batched.Server.Scheduler.Steps > 0);
    }
}
