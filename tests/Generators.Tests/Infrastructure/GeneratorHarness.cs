using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace UNComp.Generators.Tests.Infrastructure;

/// <summary>Runs <see cref="ProfileGenerator"/> the way the compiler does, with step tracking on.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() => Platform(static name => false));

    /// <summary>The framework plus UNComp.Runtime and what its public surface needs.</summary>
    private static readonly Lazy<ImmutableArray<MetadataReference>> RuntimeReferences = new(() =>
        Platform(static name => name is "UNComp.Runtime.dll" or "Microsoft.Extensions.AI.Abstractions.dll"));

    private static ImmutableArray<MetadataReference> Platform(Func<string, bool> extra)
        => ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is var name && (name.StartsWith("System.", StringComparison.Ordinal) || name is "netstandard.dll" or "mscorlib.dll" || extra(name)))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();

    /// <summary>A consumer compilation that does not reference UNComp.Runtime (constants only are generated).</summary>
    public static CSharpCompilation Compilation(params string[] sources) => Create(References.Value, sources);

    /// <summary>A consumer compilation that references UNComp.Runtime (the runtime half is generated too).</summary>
    public static CSharpCompilation RuntimeCompilation(params string[] sources) => Create(RuntimeReferences.Value, sources);

    private static CSharpCompilation Create(ImmutableArray<MetadataReference> references, string[] sources) => CSharpCompilation.Create(
        "Consumer" + Guid.NewGuid().ToString("N"),
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
        references,
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
        => RunOn(Compilation("namespace Consumer { internal static class Marker { } }"), options, profiles);

    /// <summary>Runs over <paramref name="compilation"/> and returns the result plus the compilation with generated sources.</summary>
    public static (GeneratorRunResult Result, Compilation Output) RunOn(Compilation compilation, AnalyzerConfigOptionsProvider? options, params AdditionalText[] profiles)
    {
        GeneratorDriver driver = Driver(profiles, options).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        return (driver.GetRunResult().Results.Single(), output);
    }

    public static GeneratorRunResult Run(params AdditionalText[] profiles) => RunWithOutput(null, profiles).Result;

    public static GeneratorRunResult RunText(string text, string path = "/p/test.uncomp.json") => Run(new InMemoryAdditionalText(path, text));

    public static TestOptionsProvider Options(IDictionary<string, string>? global = null, string? file = null, IDictionary<string, string>? metadata = null)
        => new(
            new Dictionary<string, string>(global ?? new Dictionary<string, string>()),
            file is null ? new Dictionary<string, IReadOnlyDictionary<string, string>>() : new Dictionary<string, IReadOnlyDictionary<string, string>> { [file] = new Dictionary<string, string>(metadata!) });
}
