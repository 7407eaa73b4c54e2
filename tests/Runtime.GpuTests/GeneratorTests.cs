using UNComp.Runtime.Generation;
using UNComp.Runtime.Gpu;
using UNComp.Runtime.Models;
using UNComp.Runtime.Tokenization;

namespace UNComp.Runtime.GpuTests;

/// <summary>The public generation loop on the GPU: same prompt, same answer as on the CPU.</summary>
public sealed class GeneratorTests(ITestOutputHelper output)
{
    [Fact]
    public void Generator_OnCuda_AnswersThePasskeyLikeTheCpu()
    {
        var device = Gpu.Device;
        var tokenizer = Tokenizer.FromFile(Path.Combine(Gpu.FixtureModel, "tokenizer.json"));
        string haystack = string.Concat(Enumerable.Repeat("The grass is green. The sky is blue. The sun is yellow. Here we go. ", 12));
        string text = "There is a pass key hidden in this text. " + haystack + "The pass key is 58213. Remember it. 58213 is the pass key. "
            + haystack + "What is the pass key? The pass key is";
        int[] prompt = [.. tokenizer.EncodeToIds(text, addSpecialTokens: true)];
        var p = new GeneratorParams { MaxNewTokens = 8, MaxLength = prompt.Length + 16 };
        using var gpuModel = CudaModel.Load(device, Gpu.FixtureModel);
        using var cpuModel = LlamaModel.Load(Gpu.FixtureModel);
        using var onGpu = new Generator(gpuModel, p);
        using var onCpu = new Generator(cpuModel, p);
        var gpuTokens = onGpu.Generate(prompt).ToList();
        var cpuTokens = onCpu.Generate(prompt).ToList();
        string answer = tokenizer.Decode(gpuTokens, skipSpecialTokens: true);
        output.WriteLine($"{prompt.Length}-token prompt; GPU: '{answer}', CPU: '{tokenizer.Decode(cpuTokens, skipSpecialTokens: true)}'; KV {onGpu.Stats.KvBytesInUse:N0} of {onGpu.Stats.KvBytesAllocated:N0} bytes");
        Assert.Equal(cpuTokens, gpuTokens);
        Assert.Contains("58213", answer, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => onGpu.Cache);
        Assert.NotNull(onGpu.CudaEngine);
    }
}
