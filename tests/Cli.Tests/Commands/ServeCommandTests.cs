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

    [Fact]
    public void Serve_on_cuda_without_a_gpu_is_a_one_line_error_naming_the_device()
    {
        if (Runtime.Cuda.CudaDevice.IsAvailable(out _))
        {
            return; // a GPU machine serves on cuda (tests/Runtime.GpuTests cover that); this checks the message elsewhere
        }

        var error = new StringWriter();
        int code = Program.Invoke(["serve", "--model", FixtureModel, "--device", "cuda", "--port", "0"], new StringWriter(), error);
        Assert.Equal(1, code);
        Assert.StartsWith("uncomp: error: --device cuda: no usable NVIDIA GPU", error.ToString(), StringComparison.Ordinal);
        Assert.Single(error.ToString().TrimEnd().Split('\n'));
    }

    [Fact]
    public void Serve_with_an_unknown_device_names_the_choices()
    {
        var error = new StringWriter();
        int code = Program.Invoke(["serve", "--model", FixtureModel, "--device", "tpu", "--port", "0"], new StringWriter(), error);
        Assert.Equal(1, code);
        Assert.Contains("--device must be cpu, cuda or auto, not 'tpu'", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_with_a_max_sequence_beyond_the_models_context_names_the_limit()
    {
        var error = new StringWriter();
        int code = Program.Invoke(["serve", "--model", FixtureModel, "--device", "cpu", "--max-sequence", "99999999", "--port", "0"], new StringWriter(), error);
        Assert.Equal(1, code);
        Assert.Contains("--max-sequence 99999999 must be in [2, ", error.ToString(), StringComparison.Ordinal);
    }

    private static string FixtureModel
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "models", "fixture-llama");
                if (File.Exists(Path.Combine(candidate, "config.json")))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException("models/fixture-llama not found above " + AppContext.BaseDirectory);
        }
    }
}
