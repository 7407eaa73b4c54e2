using Spectre.Console;
using UNComp.Cli.Commands;
using UNComp.Runtime.Profiles;

namespace UNComp.Cli.Tests.Commands;

public sealed class CalibrationCommandsTests : IDisposable
{
    private readonly string temp = Path.Combine(Path.GetTempPath(), "uncomp-cli-" + Guid.NewGuid().ToString("N"));

    public CalibrationCommandsTests()
    {
        Directory.CreateDirectory(temp);
        // Two layers, four query heads, two KV heads; labels make KV head 0 high in layer 0, KV head 1 in layer 1.
        File.WriteAllText(Path.Combine(temp, "head_type_search_layer0.csv"), "1,1,0,0\n1,0,0,1\n1,1,0,0\n");
        File.WriteAllText(Path.Combine(temp, "head_type_search_layer1.csv"), "0,0,1,1\n0,1,0,1\n0,0,1,1\n");
        File.WriteAllText(Path.Combine(temp, "config.json"),
            "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2," +
            "\"num_attention_heads\":4,\"num_key_value_heads\":2,\"vocab_size\":256,\"max_position_embeddings\":1024,\"torch_dtype\":\"float32\"}");
    }

    public void Dispose() => Directory.Delete(temp, true);

    private string ImportTiny(params string[] extra)
    {
        string output = Path.Combine(temp, "tiny.uncomp.json");
        string[] args = ["import-authors", "--dir", temp, "--shape", Path.Combine(temp, "config.json"), "--out", output, "--name", "Tiny", "--mean-budget", "128", .. extra];
        Assert.Equal(0, Program.Invoke(args, new StringWriter(), new StringWriter()));
        return output;
    }

    [Fact]
    public void ImportAuthors_TinyFolder_WritesValidProfile()
    {
        var profile = ProfileLoader.Load(ImportTiny());
        Assert.Equal([1, 0], profile.Layers[0].Groups);
        Assert.Equal([80, 176], profile.Layers[1].Budgets);
    }

    [Fact]
    public void ImportAuthors_QueryHeadWithStages_UsesThem()
    {
        var profile = ProfileLoader.Load(ImportTiny("--granularity", "queryHead", "--stages", "0-0,1-1", "--min-keep", "512"));
        Assert.Equal(4, profile.Layers[0].Budgets.Count);
        Assert.Equal([1024, 512], profile.Stages.Select(s => s.KeepTokens));
    }

    [Fact]
    public void ImportAuthors_BadShape_ReturnsOneAndNamesIt()
    {
        var error = new StringWriter();
        Assert.Equal(1, Program.Invoke(["import-authors", "--dir", temp, "--shape", "gpt-9", "--out", Path.Combine(temp, "x.json")], new StringWriter(), error));
        Assert.Contains("gpt-9", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_Render_ShowsGroupsBudgetsAndBytes()
    {
        var profile = ProfileLoader.Load(ImportTiny());
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;
        InspectCommand.Render(profile, 1024, console);
        string text = writer.ToString();
        Assert.Contains("1 × 80", text, StringComparison.Ordinal);
        Assert.Contains("1 × 176", text, StringComparison.Ordinal);
        Assert.Contains("granularity kvHead", text, StringComparison.Ordinal);
        // 2 layers × 256 tokens × d 16 × K,V × 2 bytes = 32 KiB; full = 2 × 2 × 1024 × 16 × 2 × 2 = 256 KiB → 12.50 %.
        Assert.Contains("32 KiB fp16/bf16", text, StringComparison.Ordinal);
        Assert.Contains("12.50", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_WithSvg_WritesHeatMapAndReturnsZero()
    {
        string svg = Path.Combine(temp, "map.svg");
        var output = new StringWriter();
        Assert.Equal(0, Program.Invoke(["inspect", ImportTiny(), "--svg", svg], output, new StringWriter()));
        Assert.Contains("cached tokens", output.ToString(), StringComparison.Ordinal);
        string text = File.ReadAllText(svg);
        Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"", text, StringComparison.Ordinal);
        Assert.Equal(8, text.Split("<title>").Length - 1); // 2 layers × 4 query heads
    }

    [Fact]
    public void Inspect_InvalidProfile_ReturnsOneAndListsProblems()
    {
        string path = Path.Combine(temp, "bad.uncomp.json");
        File.WriteAllText(path, File.ReadAllText(ImportTiny()).Replace("\"Tiny\"", "\"1bad\"", StringComparison.Ordinal).Replace("\"window\": 8", "\"window\": 0", StringComparison.Ordinal));
        var error = new StringWriter();
        Assert.Equal(1, Program.Invoke(["inspect", path], new StringWriter(), error));
        Assert.Contains("$.name", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("$.compression.window", error.ToString(), StringComparison.Ordinal);
    }
}
