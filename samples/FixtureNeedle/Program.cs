using System.Globalization;
using FixtureNeedle;
using UNComp.Runtime.Generation;

// Answers a needle-in-a-haystack (passkey) question with the fixture model twice: with the full KV cache, and with the
// cache compiled from the UNComp profile (CompiledModel is generated at build time from the profile), and
// prints the answer and the KV bytes of each.
// With --device cuda it also answers on the GPU through the compiled class's LoadCuda (the profile's selection on
// the device, the KV arena sized from the compiled plan).
//   dotnet run --project samples/FixtureNeedle -c Release [model-directory] [--device cuda]
int deviceArg = Array.IndexOf(args, "--device");
bool onGpu = deviceArg >= 0 && deviceArg + 1 < args.Length && args[deviceArg + 1] == "cuda";
string[] positional = [.. args.Where((a, i) => i != deviceArg && i != deviceArg + 1)];
string modelDirectory = positional.Length > 0 ? positional[0] : Path.Combine(RepositoryRoot(), "models", "fixture-llama");
if (!File.Exists(Path.Combine(modelDirectory, "config.json")))
{
    Console.Error.WriteLine($"error: no model in {modelDirectory} (config.json missing); pass the fixture model's folder as the first argument.");
    return 2;
}

// About 2,200 tokens with the fixture tokenizer; the key sits at 40% depth, far outside every unit's budget window.
PasskeyPrompt needle = PasskeyPrompt.Create("58213", fillers: 80, depth: 0.4);
const int MaxNewTokens = 16;

SampleTokenCodec codec = SampleTokenCodec.Load(modelDirectory);
IReadOnlyList<int> prompt = codec.Encode(needle.Text, addSpecialTokens: true);
int maxLength = prompt.Count + MaxNewTokens;

CompiledModel compiled;
try
{
    compiled = CompiledModel.Load(modelDirectory, maxTokens: maxLength, hooks: CompiledModel.CreateHooks());
}
catch (Exception e) when (e is UNComp.Runtime.Profiles.ModelFingerprintMismatchException or UNComp.Runtime.Models.ModelFormatException or ArgumentException)
{
    // A model that is not the profile's, or a corrupt one: the message names both fingerprints or the bad file.
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}

using var loaded = compiled;
Console.WriteLine($"model    {modelDirectory}: {CompiledModel.NumLayers} layers, {CompiledModel.NumAttentionHeads} query / {CompiledModel.NumKeyValueHeads} KV heads (profile {CompiledModel.ProfileName})");
Console.WriteLine($"question needle at depth {needle.Depth:P0} of a {prompt.Count}-token prompt; expected answer: {needle.Answer}");

var full = new GeneratorParams { MaxNewTokens = MaxNewTokens, MaxLength = maxLength };
Result fullResult = Answer("full cache", new Generator(compiled.Model, full));
Result compressedResult = Answer("UNComp (compiled)", compiled.CreateGenerator(compiled.CreateGeneratorParams(MaxNewTokens)));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"KV cache: {compressedResult.KvBytes:N0} bytes compressed vs {fullResult.KvBytes:N0} full ({100.0 * compressedResult.KvBytes / fullResult.KvBytes:F1}%)"));
bool gpuCorrect = !onGpu || AnswerOnGpu();
return fullResult.Correct && compressedResult.Correct && gpuCorrect ? 0 : 1;

bool AnswerOnGpu()
{
    if (!UNComp.Runtime.Cuda.CudaDevice.IsAvailable(out string reason))
    {
        Console.Error.WriteLine("error: --device cuda: " + reason);
        return false;
    }

    using var device = UNComp.Runtime.Cuda.CudaDevice.Open();
    using var engine = CompiledModel.LoadCuda(modelDirectory, device, maxPrefillTokens: prompt.Count);
    int[] next = new int[1];
    engine.Prefill(0, [.. prompt], []);
    engine.SampleLogits(1, SamplingOptions.Greedy, next);
    var tokens = new List<int>();
    var eos = engine.Model.GenerationConfig.EosTokenIds;
    while (tokens.Count < MaxNewTokens && !eos.Contains(next[0]))
    {
        tokens.Add(next[0]);
        engine.DecodeSample([0], next, SamplingOptions.Greedy, [], next);
    }

    string firstLine = codec.Decode(tokens, skipSpecialTokens: true).Split('\n')[0].Trim();
    bool correct = firstLine.StartsWith(needle.Answer, StringComparison.Ordinal);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{"UNComp (GPU)",-18} answer: {firstLine,-40} {(correct ? "correct" : "WRONG"),-8} KV {engine.KvBytes,12:N0} bytes on {device.Name}"));
    return correct;
}

Result Answer(string label, Generator generator)
{
    using (generator)
    {
        var tokens = generator.Generate(prompt).ToList();
        string text = codec.Decode(tokens, skipSpecialTokens: true);
        string firstLine = text.Split('\n')[0].Trim();
        string shown = firstLine.Length <= 40 ? firstLine : firstLine[..37] + "...";
        bool correct = firstLine.StartsWith(needle.Answer, StringComparison.Ordinal);
        long bytes = generator.Cache.Bytes;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label,-18} answer: {shown,-40} {(correct ? "correct" : "WRONG"),-8} KV {bytes,12:N0} bytes"));
        return new Result(correct, bytes);
    }
}

static string RepositoryRoot()
{
    for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
    {
        if (File.Exists(Path.Combine(dir, "UNComp.Compiler.sln")))
        {
            return dir;
        }
    }

    return Directory.GetCurrentDirectory();
}

internal readonly record struct Result(bool Correct, long KvBytes);
