using System.CommandLine;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;
using UNComp.Serving;

namespace UNComp.Cli.Commands;

/// <summary>
/// <c>uncomp serve --model DIR [--profile FILE] [--device cpu|cuda|auto]</c>: an OpenAI-compatible server (chat
/// completions, completions, models; streaming) on 127.0.0.1:8080 until Ctrl+C. Requests are batched continuously over
/// the engine's slots (<c>--slots</c>: CUDA decodes them in one batched pass; the CPU engine takes them in turn). With a
/// profile each request runs with UNComp compression planned for its prompt (CPU); otherwise with the full cache.
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
        var device = CliSupport.DeviceOption();
        var slots = new Option<int?>("--slots") { Description = "Requests generating at once (batch slots; default 1 on cpu, 8 on cuda)." };
        var maxSequence = new Option<int?>("--max-sequence")
        {
            Description = "Longest prompt + reply per request (default: the model's context on cpu; min(context, 8192) on cuda, where every slot's KV cache is allocated up front).",
        };
        var command = new Command("serve", "Serve the model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models).")
        {
            model, profile, meanBudget, host, port, apiKey, modelId, maxTokens, defaultMaxTokens, maxPrompt, maxBody, maxQueue, threads, device, slots, maxSequence,
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
            bool cuda = CliSupport.ResolveDevice(parse.GetValue(device), parse.InvocationConfiguration.Error) == "cuda";
            int slotCount = parse.GetValue(slots) ?? (cuda ? 8 : 1);
            options = options with { GenerationSlots = slotCount };
            options.Validate();
            string? profilePath = parse.GetValue(profile);
            if (cuda && profilePath is not null)
            {
                throw new ArgumentException("--profile runs UNComp's selection on the CPU engine only for now (the GPU keeps per-unit capacities by recency); serve it with --device cpu, or serve the full cache on cuda without --profile.");
            }

            int context = llama.Config.MaxPositionEmbeddings;
            int? sequence = parse.GetValue(maxSequence) ?? (cuda ? Math.Min(context, 8192) : null);
            if (sequence is < 2 || sequence > context)
            {
                throw new ArgumentException($"--max-sequence {sequence} must be in [2, {context}] (the model's context, max_position_embeddings).");
            }

            var codec = TokenCodecs.Load(dir);
            var defaults = new GeneratorParams { Backend = CliSupport.Backend(parse.GetValue(threads)), MaxLength = sequence };
            string id = parse.GetValue(modelId) ?? Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/'));
            var served = profilePath is null
                ? new ServedModel(id, llama, codec, defaults)
                : ServedModel.WithProfile(id, llama, codec, ProfileLoader.Load(profilePath), parse.GetValue(meanBudget), defaults, profilePath);
            using var gpu = cuda ? UNComp.Runtime.Cuda.CudaDevice.Open() : null;
            using var gpuModel = gpu is null ? null : UNComp.Runtime.Gpu.CudaModel.Load(gpu, dir, cancellationToken: cancellationToken);
            using var gpuEngine = gpuModel is null ? null : UNComp.Runtime.Serving.CudaBatchEngine.Create(gpuModel, slotCount, served.ContextLength);
            var server = new OpenAiServer(served, options, gpuEngine);
            try
            {
                server.StartAsync(cancellationToken).GetAwaiter().GetResult();
                output.WriteLine($"uncomp serve: {served.Id} on {(cuda ? "cuda" : "cpu")}, {slotCount} slot(s) ({(profilePath is null ? "full cache" : "UNComp profile " + Path.GetFileName(profilePath))}, "
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
