using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace UNComp.Generators.Tests.Infrastructure;

/// <summary>Runs <see cref="ProfileGenerator"/> the way the compiler does, with step tracking on.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is var name && (name.StartsWith("System.", StringComparison.Ordinal) || name is "netstandard.dll" or "mscorlib.dll"))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());

    public static CSharpCompilation Compilation(params string[] sources) => CSharpCompilation.Create(
        "Consumer",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
        References.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(IEnumerable<AdditionalText> profiles, AnalyzerConfigOptionsProvider? options = null)
        => CSharpGeneratorDriver.Create(
            new[] { new ProfileGenerator().AsSourceGenerator() },
            profiles,
            ParseOptions,
            options ?? TestOptionsProvider.Empty,
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs once over the given profiles and returns the single generator's result plus the output compilation.</summary>
    public static (GeneratorRunResult Result, Compilation Output) RunWithOutput(AnalyzerConfigOptionsProvider? options, params AdditionalText[] profiles)
    {
        GeneratorDriver driver = Driver(profiles, options).RunGeneratorsAndUpdateCompilation(Compilation("namespace Consumer { internal static class Marker { } }"), out Compilation output, out _);
        return (driver.GetRunResult().Results.Single(), output);
    }

    public static GeneratorRunResult Run(params AdditionalText[] profiles) => RunWithOutput(null, profiles).Result;

    public static GeneratorRunResult RunText(string text, string path = "/p/test.uncomp.json") => Run(new InMemoryAdditionalText(path, text));

    public static TestOptionsProvider Options(IDictionary<string, string>? global = null, string? file = null, IDictionary<string, string>? metadata = null)
        => new(
            new Dictionary<string, string>(global ?? new Dictionary<string, string>()),
            file is null ? new Dictionary<string, IReadOnlyDictionary<string, string>>() : new Dictionary<string, IReadOnlyDictionary<string, string>> { [file] = new Dictionary<string, string>(metadata!) });
}
