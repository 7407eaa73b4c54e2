using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Cli.Tests;

/// <summary>Issue 14 from the command line: context limits, hostile prompts and profiles, errors in CLI terms.</summary>
public class ReliabilityCommandTests
{
    [Fact]
    public void Run_EmptyPromptIds_SaysWhichOptionIsEmpty()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        var error = new StringWriter();

        Assert.Equal(1, Program.Invoke(["run", "--model", tiny.Directory, "--prompt-ids", ""], new StringWriter(), error));

        Assert.Equal("uncomp: error: --prompt-ids is empty; pass at least one token id, e.g. --prompt-ids 1,2,3.", error.ToString().Trim());
    }

    [Fact]
    public void Run_PromptLongerThanContext_IsRefusedNamingTheContext()
    {
        using var tiny = new TinyModel(new TinyModelSpec { MaxPositionEmbeddings = 16 });
        var error = new StringWriter();
        string ids = string.Join(",", Enumerable.Range(0, 17).Select(i => i % 40));

        Assert.Equal(1, Program.Invoke(["run", "--model", tiny.Directory, "--prompt-ids", ids], new StringWriter(), error));

        Assert.Contains("the prompt is 17 tokens but the model's context is 16 (max_position_embeddings in", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_MaxNewPastContext_StopsAtTheLimitWithANote()
    {
        using var tiny = new TinyModel(new TinyModelSpec { MaxPositionEmbeddings = 16 });
        string config = Path.Combine(tiny.Directory, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"eos_token_id\": [2, 3]", "\"eos_token_id\": []", StringComparison.Ordinal));
        var output = new StringWriter();
        var error = new StringWriter();

        int code = Program.Invoke(["run", "--model", tiny.Directory, "--prompt-ids", "1,2,3,4", "--max-new", "100000"], output, error);

        Assert.True(code == 0, error.ToString());
        Assert.Equal(12, output.ToString().Trim().Split(',').Length);
        Assert.Contains("generation stops after 12 new tokens", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("stopped at the length limit of 16 tokens", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_IdOutsideVocabulary_IsACliError()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        var error = new StringWriter();

        Assert.Equal(1, Program.Invoke(["run", "--model", tiny.Directory, "--prompt-ids", "1,40"], new StringWriter(), error));

        Assert.Contains("--prompt-ids: 40 is outside the model's vocabulary; ids must be in [0, 40).", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_PromptWithReplacementCharacter_IsRefusedAsInvalidUtf8()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        RunCommandTests.WriteCharTokenizer(tiny.Directory);
        var error = new StringWriter();

        Assert.Equal(1, Program.Invoke(["run", "--model", tiny.Directory, "--prompt", "ab\uFFFDc"], new StringWriter(), error));

        Assert.Contains("--prompt is not valid UTF-8 text (an invalid byte sequence at character 2)", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_NewPastContext_IsCappedAndFinishes()
    {
        using var tiny = new TinyModel(new TinyModelSpec { MaxPositionEmbeddings = 32 });
        var output = new StringWriter();
        var error = new StringWriter();

        int code = Program.Invoke(["bench", "--model", tiny.Directory, "--prompt-tokens", "8", "--new", "100000", "--threads", "1"], output, error);

        Assert.True(code == 0, error.ToString());
        Assert.Contains("generation stops after 24 new tokens", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("generated 24", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_ProfileWithBudgetAboveContext_IsRejectedAtTheBudget()
    {
        string root = FindRoot();
        string text = File.ReadAllText(Path.Combine(root, "profiles", "fixture-llama.uncomp.json"));
        int at = text.IndexOf("\"budgets\": [", StringComparison.Ordinal) + "\"budgets\": [".Length;
        int end = text.IndexOf(',', at);
        string hostile = string.Concat(text.AsSpan(0, at), "10000000", text.AsSpan(end));
        string path = Path.Combine(Path.GetTempPath(), "hostile-" + Guid.NewGuid().ToString("N") + ".uncomp.json");
        File.WriteAllText(path, hostile);
        try
        {
            var error = new StringWriter();

            Assert.Equal(1, Program.Invoke(["inspect", path], new StringWriter(), error));

            Assert.Contains("$.layers[0].budgets[0]: is 10000000; must be <= model.maxPositionEmbeddings (4096)", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Inspect_ContextBelowBudgets_NeverCallsALargerCacheCompressed()
    {
        var output = new StringWriter();

        int code = Program.Invoke(["inspect", Path.Combine(FindRoot(), "profiles", "fixture-llama-g8-qh.uncomp.json"), "--context", "16"], output, new StringWriter());

        Assert.Equal(0, code);
        string text = string.Join(' ', output.ToString().Split((char[])['\r', '\n', ' '], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("this profile saves nothing at 16 tokens", text, StringComparison.Ordinal);
        Assert.DoesNotContain("of full (", text, StringComparison.Ordinal);
        Assert.Contains("a compiled class allocates every budget", text, StringComparison.Ordinal);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "UNComp.Compiler.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("repository root not found");
    }
}
