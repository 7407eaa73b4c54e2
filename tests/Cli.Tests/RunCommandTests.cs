using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Cli.Tests;

public class RunCommandTests
{
    [Fact]
    public void Run_WithPromptIds_StreamsTokensAndPrintsSummary()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Invoke(["run", "--model", tiny.Directory, "--prompt-ids", "1,5,9,13", "--max-new", "5"], output, error);
        Assert.True(code == 0, error.ToString());
        var ids = output.ToString().Trim().Split(',');
        Assert.InRange(ids.Length, 1, 5);
        Assert.All(ids, id => Assert.InRange(int.Parse(id), 0, 39));
        Assert.Contains("prompt 4 tokens", error.ToString());
        Assert.Contains("tok/s", error.ToString());
        Assert.Contains("KV in use", error.ToString());
    }

    /// <summary>A 40-token character tokenizer matching the tiny model's vocabulary.</summary>
    internal static void WriteCharTokenizer(string directory)
    {
        const string chars = "abcdefghijklmnopqrstuvwxyz 0123456789.,!";
        var vocab = string.Join(", ", chars.Select((c, i) => $"\"{c}\": {i}"));
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"),
            "{\"added_tokens\": [], \"normalizer\": null, \"pre_tokenizer\": null, \"post_processor\": null, \"decoder\": null, "
            + "\"model\": {\"type\": \"BPE\", \"vocab\": {" + vocab + "}, \"merges\": []}}");
    }

    [Fact]
    public void Run_WithTextPrompt_StreamsDecodedText()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        WriteCharTokenizer(tiny.Directory);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Invoke(["run", "--model", tiny.Directory, "--prompt", "hello world", "--max-new", "6"], output, error);
        Assert.True(code == 0, error.ToString());
        string text = output.ToString().TrimEnd('\n', '\r');
        Assert.NotEmpty(text); // a tokenizer without a decoder joins tokens with spaces, as HF does
        Assert.All(text, c => Assert.Contains(c, "abcdefghijklmnopqrstuvwxyz 0123456789.,!"));
        Assert.Contains("prompt 11 tokens", error.ToString());
    }

    [Fact]
    public void Run_TextPromptWithoutTokenizer_SaysWhatIsMissing()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        var error = new StringWriter();
        Assert.Equal(1, Program.Invoke(["run", "--model", tiny.Directory, "--prompt", "hi"], new StringWriter(), error));
        Assert.Contains("tokenizer.json: not found", error.ToString());
    }

    [Fact]
    public void Run_SameSeed_SameTokens()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        string[] args = ["run", "--model", tiny.Directory, "--prompt-ids", "1,5,9", "--max-new", "6", "--temperature", "0.9", "--top-k", "10", "--seed", "3"];
        var a = new StringWriter();
        var b = new StringWriter();
        Assert.Equal(0, Program.Invoke(args, a, new StringWriter()));
        Assert.Equal(0, Program.Invoke(args, b, new StringWriter()));
        Assert.Equal(a.ToString(), b.ToString());
    }

    [Fact]
    public void Run_MissingModelDirectory_PrintsErrorWithoutStackTrace()
    {
        var error = new StringWriter();
        int code = Program.Invoke(["run", "--model", "/nonexistent/model", "--prompt-ids", "1"], new StringWriter(), error);
        Assert.Equal(1, code);
        Assert.Contains("/nonexistent/model", error.ToString());
        Assert.DoesNotContain("   at ", error.ToString());
    }

    [Fact]
    public void Run_UnsupportedArchitecture_NamesFileFieldAndSupportedList()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        string config = Path.Combine(tiny.Directory, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("LlamaForCausalLM", "GPT2LMHeadModel"));
        var error = new StringWriter();
        int code = Program.Invoke(["run", "--model", tiny.Directory, "--prompt-ids", "1"], new StringWriter(), error);
        Assert.Equal(1, code);
        Assert.Contains("config.json", error.ToString());
        Assert.Contains("architectures", error.ToString());
        Assert.Contains("Qwen2ForCausalLM", error.ToString());
    }

    [Fact]
    public void Bench_PrintsPrefillAndDecodeThroughput()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Invoke(["bench", "--model", tiny.Directory, "--prompt-tokens", "16", "--new", "4", "--threads", "1"], output, error);
        Assert.True(code == 0, error.ToString());
        Assert.Contains("prefill tok/s best (median)", output.ToString());
        Assert.Matches(@"(?m)^\s+1 \| full \| 16 \| \d+ \(\d+\) \| [\d.]+ \([\d.]+\) \|", output.ToString());
    }
}
