using System.CommandLine;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;

namespace UNComp.Cli.Commands;

/// <summary><c>uncomp run</c>: generate from a prompt on CPU, streaming the output, then print a summary line.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (HF layout: config.json, *.safetensors, tokenizer.json).", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (needs tokenizer.json in the model directory)." };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "Prompt as comma-separated token ids (instead of --prompt)." };
        var maxNew = new Option<int>("--max-new") { Description = "Tokens to generate at most.", DefaultValueFactory = _ => 128 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature; 0 = greedy.", DefaultValueFactory = _ => 0 };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens; 0 = no limit.", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling threshold in (0, 1].", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<int>("--seed") { Description = "Sampling seed.", DefaultValueFactory = _ => 0 };
        var maxLength = new Option<int?>("--max-length") { Description = "Prompt + new tokens the buffers hold (default: prompt + max-new, at most the model's context)." };
        var threads = CliSupport.ThreadsOption();
        var device = CliSupport.DeviceOption();

        var command = new Command("run", "Generate text from a prompt (CPU or CUDA, full KV cache) and print throughput and KV memory.")
        {
            model, prompt, promptIds, maxNew, temperature, topK, topP, seed, maxLength, threads, device,
        };
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CliSupport.Run(parseResult, output =>
        {
            string dir = parseResult.GetValue(model)!;
            string? text = parseResult.GetValue(prompt);
            string? ids = parseResult.GetValue(promptIds);
            if ((text is null) == (ids is null))
            {
                throw new ArgumentException("pass exactly one of --prompt TEXT or --prompt-ids 1,2,3.");
            }

            int newTokens = parseResult.GetValue(maxNew);
            if (newTokens < 0)
            {
                throw new ArgumentException("--max-new must be ≥ 0.");
            }

            var sampling = new SamplingOptions
            {
                Temperature = parseResult.GetValue(temperature),
                TopK = parseResult.GetValue(topK),
                TopP = parseResult.GetValue(topP),
                Seed = parseResult.GetValue(seed),
            };
            sampling.Validate();
            if (text is not null)
            {
                CliSupport.CheckPromptText(text);
            }

            int[] parsedIds = ids is null ? [] : CliSupport.ParseIds(ids);
            if (ids is not null && parsedIds.Length == 0)
            {
                throw new ArgumentException("--prompt-ids is empty; pass at least one token id, e.g. --prompt-ids 1,2,3.");
            }

            bool cuda = CliSupport.ResolveDevice(parseResult.GetValue(device), parseResult.InvocationConfiguration.Error) == "cuda";
            using var gpu = cuda ? UNComp.Runtime.Cuda.CudaDevice.Open() : null;
            using var gpuModel = gpu is null ? null : UNComp.Runtime.Gpu.CudaModel.Load(gpu, dir, cancellationToken: cancellationToken);
            using var llama = gpuModel is null ? LlamaModel.Load(dir, cancellationToken) : null;
            var config = gpuModel?.Config ?? llama!.Config;
            ITokenCodec? codec = text is null ? null : TokenCodecs.Load(dir);
            int[] promptTokens = codec is null ? parsedIds : [.. codec.Encode(text!, addSpecialTokens: true)];
            if (promptTokens.Length == 0)
            {
                throw new ArgumentException("--prompt encodes to no tokens with this tokenizer; pass a longer prompt.");
            }

            if (promptTokens.FirstOrDefault(id => id >= config.VocabSize, -1) is int outside and >= 0)
            {
                throw new ArgumentException($"--prompt-ids: {outside} is outside the model's vocabulary; ids must be in [0, {config.VocabSize}).");
            }

            var limits = ContextLimits.For(config, dir, promptTokens, parseResult.GetValue(maxLength), newTokens, "--max-new");
            var p = new GeneratorParams
            {
                MaxNewTokens = newTokens,
                Sampling = sampling,
                MaxLength = limits.MaxLength,
                Backend = CliSupport.Backend(parseResult.GetValue(threads)),
            };
            if (limits.Note is { } note)
            {
                parseResult.InvocationConfiguration.Error.WriteLine(note);
            }

            using var generator = gpuModel is null ? new Generator(llama!, p) : new Generator(gpuModel, p);
            CliSupport.WithPrefillProgress(config.NumLayers, promptTokens.Length, progress => generator.AppendTokens(promptTokens, progress, cancellationToken));
            var generated = new List<int>();
            string shown = string.Empty;
            var stream = (codec as TokenizerCodec)?.Tokenizer.CreateStreamDecoder(skipSpecialTokens: true);
            while (!generator.IsDone && newTokens > 0)
            {
                int token = generator.GenerateNextToken(cancellationToken);
                generated.Add(token);
                if (codec is null)
                {
                    output.Write(generated.Count == 1 ? token.ToString(System.Globalization.CultureInfo.InvariantCulture) : "," + token.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                else if (stream is not null)
                {
                    output.Write(stream.Append(token));
                }
                else
                {
                    string all = codec.Decode(generated, skipSpecialTokens: true);
                    if (!all.EndsWith('\uFFFD') && all.StartsWith(shown, StringComparison.Ordinal))
                    {
                        output.Write(all[shown.Length..]);
                        shown = all;
                    }
                }

                output.Flush();
            }

            output.WriteLine();
            if (generator.StopReason == GenerationStopReason.ContextLimit && newTokens > 0)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"uncomp: stopped at the length limit of {generator.MaxLength} tokens (prompt + generated).");
            }

            parseResult.InvocationConfiguration.Error.WriteLine(CliSupport.Summary(generator.Stats));
            return 0;
        })));
        return command;
    }
}
