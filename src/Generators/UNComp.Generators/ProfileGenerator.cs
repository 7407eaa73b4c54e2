using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using UNComp.Generators.Diagnostics;
using UNComp.Generators.Emit;
using UNComp.Generators.Model;
using UNComp.Generators.Parsing;

namespace UNComp.Generators
{
    /// <summary>
    /// Compiles every <c>*.uncomp.json</c> additional file into a model-specific <c>partial</c> class whose KV
    /// budgets, groups, stages and buffer plan are constants. Pipeline: file → input (text + MSBuild knobs) →
    /// parse/validate → spec (equatable) → emit. Diagnostics travel on their own branch, so a diagnostic that only
    /// moved (whitespace edit) never re-emits code. Step names are in <see cref="TrackingNames"/>.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class ProfileGenerator : IIncrementalGenerator
    {
        /// <summary>File name suffix of profiles.</summary>
        public const string ProfileSuffix = ".uncomp.json";

        /// <summary>Metadata that <c>build/UNComp.Generators.targets</c> sets on the additional files of <c>UNCompProfile</c> items.</summary>
        private const string ProfileItemMetadata = "build_metadata.AdditionalFiles.UNCompProfileItem";

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<AdditionalText> files = context.AdditionalTextsProvider
                .Where(static file => file.Path.EndsWith(ProfileSuffix, StringComparison.OrdinalIgnoreCase))
                .WithTrackingName(TrackingNames.ProfileFiles);

            // An UNCompProfile item is marked by metadata (build/UNComp.Generators.targets); one whose file does not end in
            // .uncomp.json would be skipped silently, leaving the user with "CompiledModel could not be found".
            IncrementalValuesProvider<DiagnosticInfo?> misnamed = context.AdditionalTextsProvider
                .Where(static file => !file.Path.EndsWith(ProfileSuffix, StringComparison.OrdinalIgnoreCase))
                .Combine(context.AnalyzerConfigOptionsProvider)
                .Select(static (pair, _) => MisnamedProfileItem(pair.Left, pair.Right))
                .WithTrackingName(TrackingNames.MisnamedProfileItems);
            context.RegisterSourceOutput(misnamed, static (spc, info) =>
            {
                if (info is not null)
                {
                    spc.ReportDiagnostic(info.ToDiagnostic());
                }
            });

            IncrementalValuesProvider<ProfileInput> inputs = files
                .Combine(context.AnalyzerConfigOptionsProvider)
                .Select(static (pair, cancellationToken) => ReadInput(pair.Left, pair.Right, cancellationToken))
                .WithTrackingName(TrackingNames.ProfileInputs);

            IncrementalValuesProvider<ParseResult> parsed = inputs
                .Select(static (input, cancellationToken) => ProfileParser.Parse(input, cancellationToken))
                .WithTrackingName(TrackingNames.ParsedProfiles);

            IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = parsed
                .Select(static (result, _) => result.Diagnostics)
                .WithTrackingName(TrackingNames.ProfileDiagnostics);
            context.RegisterSourceOutput(diagnostics, static (spc, list) => Report(spc, list));

            IncrementalValuesProvider<ProfileSpec> specs = parsed
                .Where(static result => result.Spec is not null)
                .Select(static (result, _) => result.Spec!)
                .WithTrackingName(TrackingNames.ProfileSpecs);

            // Duplicate class names need every profile at once; only names (no code) cross that boundary, so one
            // profile's edit does not re-emit the others.
            IncrementalValueProvider<DuplicateNames> duplicates = parsed
                .Where(static result => result.Claim is not null)
                .Select(static (result, _) => result.Claim!)
                .WithTrackingName(TrackingNames.ClassNameClaims)
                .Collect()
                .Select(static (claims, _) => DuplicateNames.Find(claims))
                .WithTrackingName(TrackingNames.DuplicateClassNames);
            context.RegisterSourceOutput(duplicates, static (spc, found) => Report(spc, found.Diagnostics));

            IncrementalValueProvider<EquatableArray<string>> duplicateSet = duplicates
                .Select(static (found, _) => found.Names)
                .WithTrackingName(TrackingNames.DuplicateNameSet);

            IncrementalValuesProvider<ProfileSpec> emittable = specs
                .Combine(duplicateSet)
                .Where(static pair => !pair.Right.Contains(pair.Left.FullName))
                .Select(static (pair, _) => pair.Left)
                .WithTrackingName(TrackingNames.EmittableSpecs);
            context.RegisterSourceOutput(emittable, static (spc, spec) => EmitSource(spc, spec));

            // The runtime half (loader, prefill, decode) only when UNComp.Runtime is referenced. Detection yields a
            // small equatable record, so ordinary source edits leave it Unchanged.
            IncrementalValueProvider<RuntimeSupport> runtime = context.CompilationProvider
                .Select(static (compilation, _) => DetectRuntime(compilation))
                .WithTrackingName(TrackingNames.RuntimeSupport);
            IncrementalValuesProvider<(ProfileSpec Spec, RuntimeSupport Runtime)> runtimeSpecs = emittable
                .Combine(runtime)
                .Where(static pair => pair.Right.HasRuntime)
                .WithTrackingName(TrackingNames.RuntimeSpecs);
            context.RegisterSourceOutput(runtimeSpecs, static (spc, pair) => EmitRuntimeSource(spc, pair.Spec, pair.Runtime));
        }

        private static RuntimeSupport DetectRuntime(Compilation compilation)
        {
            bool hasRuntime = compilation.GetTypeByMetadataName(RuntimeSupport.EngineType) is not null
                && compilation.GetTypeByMetadataName(RuntimeSupport.FingerprintType) is not null
                && compilation.GetTypeByMetadataName(RuntimeSupport.LayoutType) is not null;
            bool hasPolicy = hasRuntime
                && compilation.GetTypeByMetadataName(RuntimeSupport.PolicyType) is not null
                && compilation.GetTypeByMetadataName(RuntimeSupport.PrunerType) is not null
                && compilation.GetTypeByMetadataName(RuntimeSupport.CompressionType) is not null;
            bool hasCuda = hasRuntime && compilation.GetTypeByMetadataName(RuntimeSupport.CudaEngineType) is not null;
            return hasRuntime ? new RuntimeSupport(true, hasPolicy, hasCuda) : RuntimeSupport.None;
        }

        private static void EmitRuntimeSource(SourceProductionContext context, ProfileSpec spec, RuntimeSupport support)
        {
            try
            {
                context.AddSource(RuntimeEmitter.HintName(spec), RuntimeEmitter.Emit(spec, support));
            }
            catch (OperationCanceledException)
            {
                throw;
            }
#pragma warning disable CA1031 // The generator must never throw: any failure becomes a diagnostic.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.InternalError, Location.None, spec.FileName, exception.GetType().Name + ": " + exception.Message));
            }
        }

        private static ProfileInput ReadInput(AdditionalText file, AnalyzerConfigOptionsProvider options, CancellationToken cancellationToken)
        {
            string? text;
            try
            {
                text = file.GetText(cancellationToken)?.ToString();
            }
            catch (OperationCanceledException)
            {
                throw;
            }
#pragma warning disable CA1031 // An unreadable file becomes UNC0023, never an exception.
            catch (Exception)
#pragma warning restore CA1031
            {
                text = null;
            }

            AnalyzerConfigOptions fileOptions = options.GetOptions(file);
            AnalyzerConfigOptions global = options.GlobalOptions;
            string? className = Value(fileOptions, "build_metadata.AdditionalFiles.UNCompClassName");
            string? itemNamespace = Value(fileOptions, "build_metadata.AdditionalFiles.UNCompNamespace");
            string? propertyNamespace = Value(global, "build_property.UNCompNamespace");
            string? rootNamespace = Value(global, "build_property.RootNamespace");
            (string? ns, string source) = itemNamespace is not null ? (itemNamespace, "UNCompProfile Namespace metadata")
                : propertyNamespace is not null ? (propertyNamespace, "the UNCompNamespace property")
                : rootNamespace is not null ? (rootNamespace, "the RootNamespace property")
                : ((string?)null, "no namespace property (global namespace)");
            return new ProfileInput(file.Path, text, className, itemNamespace, source, ns?.Trim());
        }

        private static DiagnosticInfo? MisnamedProfileItem(AdditionalText file, AnalyzerConfigOptionsProvider options)
        {
            if (!string.Equals(Value(options.GetOptions(file), ProfileItemMetadata), "true", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            string name = Path.GetFileName(file.Path);
            string suggested = (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? name.Substring(0, name.Length - 5) : name) + ProfileSuffix;
            return DiagnosticInfo.AtFileStart(DiagnosticDescriptors.ProfileItemNotProfileFile, file.Path, name, suggested);
        }

        private static string? Value(AnalyzerConfigOptions options, string key)
            => options.TryGetValue(key, out string? value) && !string.IsNullOrWhiteSpace(value) ? value : null;

        private static void Report(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics)
        {
            foreach (DiagnosticInfo info in diagnostics)
            {
                context.ReportDiagnostic(info.ToDiagnostic());
            }
        }

        private static void EmitSource(SourceProductionContext context, ProfileSpec spec)
        {
            try
            {
                context.AddSource(ProfileEmitter.HintName(spec), ProfileEmitter.Emit(spec));
            }
            catch (OperationCanceledException)
            {
                throw;
            }
#pragma warning disable CA1031 // The generator must never throw: any failure becomes a diagnostic.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.InternalError, Location.None, spec.FileName, exception.GetType().Name + ": " + exception.Message));
            }
        }

        /// <summary>Class names claimed by more than one profile, and an error on each claimant.</summary>
        private sealed record DuplicateNames(EquatableArray<string> Names, EquatableArray<DiagnosticInfo> Diagnostics)
        {
            public static DuplicateNames Find(ImmutableArray<ClassNameClaim> claims)
            {
                var names = new List<string>();
                var diagnostics = new List<DiagnosticInfo>();
                foreach (IGrouping<string, ClassNameClaim> group in claims.GroupBy(c => c.FullName, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    ClassNameClaim[] members = group.OrderBy(c => c.FilePath, StringComparer.Ordinal).ToArray();
                    if (members.Length < 2)
                    {
                        continue;
                    }

                    names.Add(group.Key);
                    string files = string.Join(", ", members.Select(c => "'" + Path.GetFileName(c.FilePath) + "'"));
                    foreach (ClassNameClaim claim in members)
                    {
                        diagnostics.Add(new DiagnosticInfo(
                            DiagnosticDescriptors.DuplicateClassName.Id, claim.FilePath, claim.Span, claim.Lines, new EquatableArray<string>(new[] { group.Key, files })));
                    }
                }

                return new DuplicateNames(EquatableArray.From(names), EquatableArray.From(diagnostics));
            }
        }
    }
}
