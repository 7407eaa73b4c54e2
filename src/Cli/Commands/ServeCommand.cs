using System.CommandLine;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;
using UNComp.Serving;

namespace UNComp.Cli.Commands;

/// <summary>
/// <c>uncomp serve --model DIR [--profile FILE]</c>: an OpenAI-compatible server (chat completions, completions, models;
/// streaming) on 127.0.0.1:8080 until Ctrl+C. With a profile each request runs with UNComp compression planned for its
/// prompt; otherwise with the full cache.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (HF layout: config.json, *.safetensors, tokenizer.json, tokenizer_config.json).", Required = true };
        var profile = new Option<string?>("--profile") { Description = "Calibrated profile: serve with UNComp compression (default: full cache)." };
        var meanBudget = new Option<double?>("--mean-budget") { Description = "Rescale the profile's budgets to this mean per cache unit (default: the profile's own)." };
        var host = new Option<string>("--host") { Description = "Address to bind; anything but loopback needs an API key.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port).", DefaultValueFactory = _ => 8080 };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' (default: $UNCOMP_API_KEY when set)." };
        var modelId = new Option<string?>("--model-id") { Description = "Model name clients send (default: the directory name)." };
        var maxTokens = new Option<int>("--max-tokens-limit") { Description = "Largest max_tokens a request may ask for.", DefaultValueFactory = _ => 2048 };
        var defaultMaxTokens = new Option<int>("--default-max-tokens") { Description = "max_tokens when a request gives none.", DefaultValueFactory = _ => 256 };
        var maxPrompt = new Option<int?>("--max-prompt-tokens") { Description = "Longest prompt accepted (default: the model's context)." };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Largest request body.", DefaultValueFactory = _ => 1 << 20 };
        var maxQueue = new Option<int>("--max-queue") { Description = "Requests that may wait for the engine; more get 429.", DefaultValueFactory = _ => 8 };
        var threads = CliSupport.ThreadsOption();
        var command = new Command("serve", "Serve the model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models).")
        {
            model, profile, meanBudget, host, port, apiKey, modelId, maxTokens, defaultMaxTokens, maxPrompt, maxBody, maxQueue, threads,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(CliSupport.Run(parse, output =>
        {
            var options = new ServerOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                ApiKey = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("UNCOMP_API_KEY"),
                MaxTokensLimit = parse.GetValue(maxTokens),
                DefaultMaxTokens = Math.Min(parse.GetValue(defaultMaxTokens), parse.GetValue(maxTokens)),
                MaxPromptTokens = parse.GetValue(maxPrompt),
                MaxRequestBodyBytes = parse.GetValue(maxBody),
                MaxQueuedRequests = parse.GetValue(maxQueue),
            };
            options.Validate();
            string dir = parse.GetValue(model)!;
            using var llama = LlamaModel.Load(dir, cancellationToken);
            var codec = TokenCodecs.Load(dir);
            var defaults = new GeneratorParams { Backend = CliSupport.Backend(parse.GetValue(threads)) };
            string? profilePath = parse.GetValue(profile);
            string id = parse.GetValue(modelId) ?? Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/'));
            var served = profilePath is null
                ? new ServedModel(id, llama, codec, defaults)
                : ServedModel.WithProfile(id, llama, codec, ProfileLoader.Load(profilePath), parse.GetValue(meanBudget), defaults, profilePath);
            var server = new OpenAiServer(served, options);
            try
            {
                server.StartAsync(cancellationToken).GetAwaiter().GetResult();
                output.WriteLine($"uncomp serve: {served.Id} ({(profilePath is null ? "full cache" : "UNComp profile " + Path.GetFileName(profilePath))}, "
                    + $"template: {(served.Template is JinjaChatTemplate ? "the model's chat_template" : "plain User:/Assistant:")}) on {server.BaseAddress}v1"
                    + (options.ApiKey is null ? string.Empty : " (bearer auth)") + "; Ctrl+C stops.");
                output.Flush();
                server.WaitForShutdownAsync(cancellationToken).GetAwaiter().GetResult();
                output.WriteLine($"uncomp serve: stopped ({server.Statistics.Completed} completed, {server.Statistics.Cancelled} cancelled, {server.Statistics.Rejected} rejected).");
            }
            finally
            {
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            return 0;
        })));
        return command;
    }
}
