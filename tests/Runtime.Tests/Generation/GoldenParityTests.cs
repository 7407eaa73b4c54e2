using System.Text.Json;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Models;
using Xunit.Abstractions;

namespace UNComp.Runtime.Tests.Generation;

/// <summary>
/// Parity with Hugging Face transformers: every <c>tests/fixtures/golden/**/*.json</c> case (format in
/// docs/runtime.md, "Golden files") is replayed through the engine. With no golden files yet, the single
/// placeholder row returns early and says so; once a file exists the placeholder disappears.
/// </summary>
public class GoldenParityTests(ITestOutputHelper output)
{
    private const string NoGoldenFiles = "(no golden files yet)";

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        string? root = RepoRoot();
        string dir = root is null ? string.Empty : Path.Combine(root, "tests", "fixtures", "golden");
        var files = Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.json", SearchOption.AllDirectories).Where(IsGoldenCase).Order(StringComparer.Ordinal).ToList()
            : [];
        foreach (var f in files)
        {
            data.Add(Path.GetRelativePath(root!, f));
        }

        if (files.Count == 0)
        {
            data.Add(NoGoldenFiles);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Engine_MatchesTransformersLogitsAndGreedyTokens(string caseFile)
    {
        if (caseFile == NoGoldenFiles)
        {
            output.WriteLine("No tests/fixtures/golden/*.json with a \"logits\" entry yet; parity is checked once they exist.");
            return;
        }

        string root = RepoRoot()!;
        int rows = Replay(root, Path.Combine(root, caseFile));
        output.WriteLine($"{caseFile}: {rows} logits rows matched.");
    }

    /// <summary>Checks one golden case file; returns the number of logits rows compared.</summary>
    internal static int Replay(string root, string path)
    {
        string caseFile = Path.GetFileName(path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var c = doc.RootElement;
        string modelDir = c.TryGetProperty("model_dir", out var md)
            ? Path.Combine(Path.GetDirectoryName(path)!, md.GetString()!)
            : Path.Combine(root, c.GetProperty("model").GetString()!);
        double tolerance = c.TryGetProperty("tolerance", out var tol) ? tol.GetDouble() : 1e-3;
        using var model = LlamaModel.Load(modelDir);
        using var logitsFile = SafetensorsFile.Open(Path.Combine(Path.GetDirectoryName(path)!, c.GetProperty("logits").GetString()!));
        int vocab = model.Config.VocabSize;
        int checkedRows = 0;
        var prompts = c.GetProperty("prompts");
        for (int p = 0; p < prompts.GetArrayLength(); p++)
        {
            var prompt = prompts[p];
            int[] tokens = prompt.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            int[] positions = prompt.GetProperty("positions").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var expected = logitsFile.ReadSingle($"prompt{p}.logits");
            Assert.Equal(positions.Length * vocab, expected.Length);
            var actual = LogitsAtPositions(model, tokens, positions);
            for (int i = 0; i < positions.Length; i++)
            {
                TestSupport.Approx.Equal(expected.AsSpan(i * vocab, vocab), actual[i], tolerance, $"{caseFile} prompt {p} position {positions[i]}");
                checkedRows++;
            }

            if (prompt.TryGetProperty("greedy", out var greedy))
            {
                int[] want = greedy.EnumerateArray().Select(e => e.GetInt32()).ToArray();
                using var gen = new Generator(model, new GeneratorParams { MaxNewTokens = want.Length, MaxLength = tokens.Length + want.Length, EosTokenIds = [] });
                Assert.Equal(want, gen.Generate(tokens).ToArray());
            }
        }

        Assert.True(checkedRows > 0, $"{caseFile} holds no logits rows.");
        return checkedRows;
    }

    /// <summary>Logits after each requested prompt position: prefill to the first, then decode token by token.</summary>
    internal static List<float[]> LogitsAtPositions(LlamaModel model, int[] tokens, int[] positions)
    {
        var engine = new InferenceEngine(model, tokens.Length);
        using var cache = engine.CreateFullCache();
        var logits = new float[model.Config.VocabSize];
        var byPosition = new Dictionary<int, float[]>();
        int first = positions.Min();
        engine.Prefill(tokens.AsSpan(0, first + 1), cache, null, logits);
        byPosition[first] = (float[])logits.Clone();
        for (int t = first + 1; t <= positions.Max(); t++)
        {
            engine.Decode(tokens[t], cache, null, logits);
            byPosition[t] = (float[])logits.Clone();
        }

        return positions.Select(p => byPosition[p]).ToList();
    }

    private static bool IsGoldenCase(string file)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("logits", out _)
                && doc.RootElement.TryGetProperty("prompts", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    internal static string? RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "UNComp.Compiler.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
