using System.Text;
using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;
using UNComp.Runtime.Tests.Generation;
using UNComp.Runtime.Tests.TestSupport;
using UNComp.Runtime.Tokenization;
using UNComp.Testing.Fuzzing;
using Xunit.Abstractions;

namespace UNComp.Runtime.Tests.Fuzzing;

/// <summary>
/// Seeded mutation fuzzing of every parser that reads a user's file: each case must parse or fail with the
/// parser's typed exception naming the file and the field; never IndexOutOfRange, NullReference, another
/// exception type, or a hang. 10,000 cases per parser here; <c>UNCOMP_FUZZ_CASES=1000000</c> runs the long version.
/// </summary>
public sealed class ParserFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261127;
    private const long CiCases = 10_000;
    private static readonly TimeSpan TimeLimit = TimeSpan.FromMinutes(30);

    [Fact]
    public void SafetensorsHeader_MutatedHeaders_ParseOrNameFileAndTensor()
    {
        var seeds = new List<(byte[] Header, long DataLength)> { SmallFileHeader(), FixtureHeader() };
        const string Path = "fuzz.safetensors";
        var report = FuzzRunner.Run("safetensors header", new Mutator([.. seeds.Select(s => s.Header)]), Seed, FuzzRunner.Cases(CiCases),
            bytes => SafetensorsFile.ParseHeader(Path, bytes, seeds[bytes.Length % seeds.Count].DataLength),
            e => e is ModelFormatException m && m.Message.StartsWith(Path + ": ", StringComparison.Ordinal) && (m.Message.Contains("tensor '", StringComparison.Ordinal) || m.Message.Contains("header", StringComparison.Ordinal))
                ? null : FuzzRunner.Describe(e),
            TimeLimit);
        Check(report);
    }

    [Fact]
    public void SafetensorsFile_MutatedWholeFiles_OpenOrNameTheFile()
    {
        using var dir = new TempDir();
        string seedPath = System.IO.Path.Combine(dir.Path, "seed.safetensors");
        WriteSmallFile(seedPath);
        // One file per worker thread: a file rewritten while another worker has it memory-mapped crashes the
        // reader (SIGBUS), as with any mmap-based loader; the runtime only maps files while loading.
        string PathOfWorker() => System.IO.Path.Combine(dir.Path, $"model-{Environment.CurrentManagedThreadId}.safetensors");
        var report = FuzzRunner.Run("safetensors file", new Mutator([File.ReadAllBytes(seedPath)]), Seed, FuzzRunner.Cases(CiCases) / 5,
            bytes =>
            {
                string path = PathOfWorker();
                File.WriteAllBytes(path, bytes);
                using var file = SafetensorsFile.Open(path);
                foreach (var t in file.Tensors.Where(t => TensorInfo.IsWeightDType(t.DType)))
                {
                    file.ReadSingle(t, new float[t.ElementCount]);
                }
            },
            e => e is ModelFormatException m && m.Message.StartsWith(PathOfWorker() + ": ", StringComparison.Ordinal) ? null : FuzzRunner.Describe(e),
            TimeLimit);
        Check(report);
    }

    [Fact]
    public void ConfigJson_MutatedConfigs_ParseOrNameFileAndField()
    {
        string root = GoldenParityTests.RepoRoot()!;
        byte[][] seeds =
        [
            File.ReadAllBytes(System.IO.Path.Combine(root, "models", "fixture-llama", "config.json")),
            File.ReadAllBytes(System.IO.Path.Combine(root, "tests", "fixtures", "models", "tiny-llama3-rope", "config.json")),
            Encoding.UTF8.GetBytes(TinyModel.ConfigJson(new TinyModelSpec { Architecture = "Qwen2ForCausalLM", Tied = true })),
            Encoding.UTF8.GetBytes(TinyModel.ConfigJson(new TinyModelSpec { Architecture = "MistralForCausalLM", SlidingWindow = 64, RopeParametersShape = true, Llama3Scaling = true })),
        ];
        const string Source = "fuzz/config.json";
        var report = FuzzRunner.Run("config.json", new Mutator(seeds), Seed, FuzzRunner.Cases(CiCases),
            bytes => ModelConfig.Parse(bytes, Source),
            e => e is ModelFormatException m && m.Message.StartsWith(Source + ": ", StringComparison.Ordinal)
                && (m.Message.Contains("field '", StringComparison.Ordinal) || m.Message.Contains("JSON", StringComparison.Ordinal) || m.Message.Contains("top level", StringComparison.Ordinal))
                ? null : FuzzRunner.Describe(e),
            TimeLimit);
        Check(report);
    }

    [Fact]
    public void TokenizerJson_MutatedTokenizers_LoadAndEncodeOrNameFileAndPath()
    {
        string seedDir = System.IO.Path.Combine(AppContext.BaseDirectory, "Fuzzing", "Seeds");
        byte[][] seeds = [.. Directory.GetFiles(seedDir, "*.tokenizer.json").Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];
        Assert.Equal(3, seeds.Length);
        const string Source = "fuzz.tokenizer.json";
        var report = FuzzRunner.Run("tokenizer.json", new Mutator(seeds), Seed, FuzzRunner.Cases(CiCases),
            bytes =>
            {
                var tokenizer = Tokenizer.FromJson(Encoding.UTF8.GetString(bytes), Source);
                var ids = tokenizer.EncodeToIds("Hello, wörld! 123 \u4f60\u597d <s>", addSpecialTokens: true);
                _ = tokenizer.Decode(ids, skipSpecialTokens: false);
            },
            e => e is TokenizerFormatException t && t.Message.StartsWith(Source + ": ", StringComparison.Ordinal) ? null : FuzzRunner.Describe(e),
            TimeLimit);
        Check(report);
    }

    [Fact]
    public void ProfileJson_MutatedProfiles_LoadOrNameFileAndPath()
    {
        string root = GoldenParityTests.RepoRoot()!;
        byte[][] seeds =
        [
            .. Directory.GetFiles(System.IO.Path.Combine(root, "profiles"), "*.uncomp.json").Order(StringComparer.Ordinal).Select(File.ReadAllBytes),
            .. Directory.GetFiles(System.IO.Path.Combine(root, "tests", "Generators.Tests", "Profiles"), "*.uncomp.json").Order(StringComparer.Ordinal).Select(File.ReadAllBytes),
        ];
        const string Source = "fuzz.uncomp.json";
        var report = FuzzRunner.Run("profile JSON (runtime)", new Mutator(seeds), Seed, FuzzRunner.Cases(CiCases),
            bytes =>
            {
                var profile = ProfileLoader.Parse(Encoding.UTF8.GetString(bytes), Source);
                _ = new ProfileSummary(profile, profile.Compression.HiddenStates.MaxTokens);
            },
            e => e is ProfileLoadException p && p.Message.StartsWith(Source + ": ", StringComparison.Ordinal) && p.Problems.All(x => x.Path.StartsWith('$')) ? null : FuzzRunner.Describe(e),
            TimeLimit);
        Check(report);
    }

    private void Check(FuzzReport report)
    {
        output.WriteLine(report.ToString());
        Assert.True(report.Findings.Count == 0, report.ToString());
        Assert.True(report.Rejected > 0, "no case was rejected: the mutations do not reach the parser's checks.");
    }

    private static void WriteSmallFile(string path) =>
        new SafetensorsWriter()
            .Add("model.embed_tokens.weight", [4, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
            .Add("model.norm.weight", [3], [1, 1, 1], "BF16")
            .Add("lm_head.weight", [2, 3], [1, 0, -1, 0.5f, 0.25f, 2], "F16")
            .AddInt64("ids", [2], [7, 9])
            .Save(path);

    private static (byte[] Header, long DataLength) SmallFileHeader()
    {
        using var dir = new TempDir();
        string path = System.IO.Path.Combine(dir.Path, "small.safetensors");
        WriteSmallFile(path);
        return SplitHeader(File.ReadAllBytes(path));
    }

    private static (byte[] Header, long DataLength) FixtureHeader()
    {
        string path = System.IO.Path.Combine(GoldenParityTests.RepoRoot()!, "models", "fixture-llama", "model.safetensors");
        using var fs = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        fs.ReadExactly(prefix);
        long length = BitConverter.ToInt64(prefix);
        var header = new byte[length];
        fs.ReadExactly(header);
        return (header, fs.Length - 8 - length);
    }

    private static (byte[] Header, long DataLength) SplitHeader(byte[] file)
    {
        long length = BitConverter.ToInt64(file, 0);
        return (file.AsSpan(8, (int)length).ToArray(), file.Length - 8 - length);
    }
}
