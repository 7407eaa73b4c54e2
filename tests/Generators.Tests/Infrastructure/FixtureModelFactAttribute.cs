namespace UNComp.Generators.Tests.Infrastructure;

/// <summary>
/// A fact that needs the committed fixture model (<c>models/fixture-llama</c>) and its calibrated profile
/// (<c>profiles/fixture-llama.uncomp.json</c>); it is skipped, saying why, while either is missing.
/// </summary>
public sealed class FixtureModelFactAttribute : FactAttribute
{
    public static string ModelDirectory => Path.Combine(TestPaths.RepositoryRoot, "models", "fixture-llama");

    public static string ProfilePath => Path.Combine(TestPaths.RepositoryRoot, "profiles", "fixture-llama.uncomp.json");

    public FixtureModelFactAttribute()
    {
        if (!File.Exists(Path.Combine(ModelDirectory, "model.safetensors")) || !File.Exists(Path.Combine(ModelDirectory, "tokenizer.json")))
        {
            Skip = "models/fixture-llama (model.safetensors, tokenizer.json) is not in this checkout";
        }
        else if (!File.Exists(ProfilePath))
        {
            Skip = "profiles/fixture-llama.uncomp.json is not in this checkout";
        }
    }
}

/// <summary>A theory over the committed profiles that needs the fixture model; skipped, saying why, while it is missing.</summary>
public sealed class FixtureModelTheoryAttribute : TheoryAttribute
{
    public FixtureModelTheoryAttribute()
    {
        if (!File.Exists(Path.Combine(FixtureModelFactAttribute.ModelDirectory, "model.safetensors")) || !File.Exists(Path.Combine(FixtureModelFactAttribute.ModelDirectory, "tokenizer.json")))
        {
            Skip = "models/fixture-llama (model.safetensors, tokenizer.json) is not in this checkout";
        }
    }
}
