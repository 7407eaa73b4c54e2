namespace UNComp.Cli.Tests.Commands;

public class ServeCommandTests
{
    [Fact]
    public void Serve_on_a_public_address_without_an_api_key_refuses_to_start()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string? saved = Environment.GetEnvironmentVariable("UNCOMP_API_KEY");
        Environment.SetEnvironmentVariable("UNCOMP_API_KEY", null);
        try
        {
            int code = Program.Invoke(["serve", "--model", "/nonexistent-model", "--host", "0.0.0.0"], output, error);
            Assert.Equal(1, code);
            Assert.Contains("set an API key (--api-key or UNCOMP_API_KEY)", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("UNCOMP_API_KEY", saved);
        }
    }

    [Fact]
    public void Serve_with_a_missing_model_directory_is_a_one_line_error()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Invoke(["serve", "--model", "/nonexistent-model", "--port", "0"], output, error);
        Assert.Equal(1, code);
        Assert.StartsWith("uncomp: error:", error.ToString(), StringComparison.Ordinal);
    }
}
