using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Serving;

namespace UNComp.Serving.Tests;

/// <summary>The project's fixture model (models/fixture-llama) and its tokenizer, loaded once for all server tests.</summary>
public sealed class FixtureModel : IDisposable
{
    public FixtureModel()
    {
        Directory = FindModel();
        Model = LlamaModel.Load(Directory);
        Codec = TokenizerCodec.Load(Directory);
    }

    public string Directory { get; }

    public LlamaModel Model { get; }

    public TokenizerCodec Codec { get; }

    public void Dispose() => Model.Dispose();

    private static string FindModel()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", "fixture-llama");
            if (File.Exists(Path.Combine(candidate, "config.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("models/fixture-llama not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Starts an <see cref="OpenAiServer"/> on a free loopback port and stops it on dispose.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(OpenAiServer server)
    {
        Server = server;
        Http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public OpenAiServer Server { get; }

    public HttpClient Http { get; }

    public Uri BaseAddress => Server.BaseAddress;

    public static async Task<RunningServer> StartAsync(ServedModel served, ServerOptions? options = null, IBatchEngine? engine = null)
    {
        var server = new OpenAiServer(served, (options ?? new ServerOptions()) with { Host = "127.0.0.1", Port = 0 }, engine);
        await server.StartAsync();
        return new RunningServer(server);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
    }
}
