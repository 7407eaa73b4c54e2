using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using UNComp.Generators.Diagnostics;
using UNComp.Generators.Json;
using UNComp.Generators.Model;

namespace UNComp.Generators.Parsing
{
    /// <summary>
    /// Turns one profile file into a <see cref="ProfileSpec"/> plus diagnostics. Reads every field, then checks
    /// the format's rules (<see cref="ProfileRules"/>); any error means no spec, so no code is emitted for it.
    /// Never throws: an unexpected exception becomes UNC0099.
    /// </summary>
    internal static class ProfileParser
    {
        public const string FormatString = UNComp.Profiles.ProfileFormatRules.FormatId;

        public static ParseResult Parse(ProfileInput input, CancellationToken cancellationToken)
        {
            try
            {
                return ParseCore(input, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw;
            }
#pragma warning disable CA1031 // The generator must never throw: any failure becomes a diagnostic.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                DiagnosticInfo error = DiagnosticInfo.AtFileStart(
                    DiagnosticDescriptors.InternalError, input.Path, Path.GetFileName(input.Path), exception.GetType().Name + ": " + exception.Message);
                return new ParseResult(null, null, new EquatableArray<DiagnosticInfo>(new[] { error }));
            }
        }

        private static ParseResult ParseCore(ProfileInput input, CancellationToken cancellationToken)
        {
            string fileName = Path.GetFileName(input.Path);
            if (input.Text is null)
            {
                return Failed(DiagnosticInfo.AtFileStart(DiagnosticDescriptors.UnreadableProfile, input.Path, fileName));
            }

            JsonNode root;
            try
            {
                root = JsonDocumentReader.Parse(input.Text);
            }
            catch (JsonSyntaxException syntax)
            {
                return Failed(DiagnosticInfo.Create(DiagnosticDescriptors.MalformedJson, input.Path, syntax.Range, fileName, syntax.Message));
            }

            cancellationToken.ThrowIfCancellationRequested();
            var reader = new JsonFieldReader(input.Path);
            if (reader.Kind(root, JsonKind.Object, "an object") is null)
            {
                return Finish(reader, null, null);
            }

            string? format = reader.String(root, "format");
            if (format is not null && format != FormatString)
            {
                // Nothing else can be trusted in a file of another format version.
                reader.Report(DiagnosticDescriptors.UnsupportedFormat, root.Find("format")!.Value, "$.format", format);
                return Finish(reader, null, null);
            }

            JsonNode? nameNode = reader.Required(root, "name");
            string? profileName = reader.AsString(nameNode);
            if (profileName is not null && !CSharpNames.IsValidTypeName(profileName))
            {
                reader.Report(DiagnosticDescriptors.InvalidClassName, nameNode!, "$.name", profileName, "use letters, digits and underscores, starting with a letter");
                profileName = null;
            }

            string? className = ResolveClassName(input, profileName, reader);
            string? ns = ResolveNamespace(input, fileName, reader);

            ModelDimensions? model = ReadModel(root, reader);
            CalibrationInfo? calibration = ReadCalibration(root, reader);
            CompressionSettings? compression = ReadCompression(root, reader);
            JsonNode? stagesNode = reader.Array(root, "stages");
            List<StageSpec>? stages = ReadStages(stagesNode, reader);
            JsonNode? layersNode = reader.Array(root, "layers");
            List<LayerSpec>? layers = ReadLayers(layersNode, reader);
            cancellationToken.ThrowIfCancellationRequested();

            var rules = new ProfileRules(reader, root, model, calibration, compression);
            rules.CheckModel();
            rules.CheckCompression();
            rules.CheckLayers(layersNode, layers);
            rules.CheckStages(stagesNode, stages);

            if (reader.ErrorCount > 0 || className is null || ns is null || profileName is null
                || model is null || calibration is null || compression is null || stages is null || layers is null)
            {
                return Finish(reader, null, null);
            }

            var spec = new ProfileSpec(
                fileName,
                ns,
                className,
                profileName,
                model,
                calibration,
                compression,
                EquatableArray.From(stages),
                EquatableArray.From(layers));
            ClassNameClaim claim = ClassNameClaim.Create(spec.FullName, input.Path, nameNode!.Range);
            return Finish(reader, spec, claim);
        }

        private static ParseResult Failed(DiagnosticInfo diagnostic)
            => new ParseResult(null, null, new EquatableArray<DiagnosticInfo>(new[] { diagnostic }));

        private static ParseResult Finish(JsonFieldReader reader, ProfileSpec? spec, ClassNameClaim? claim)
            => new ParseResult(spec, claim, EquatableArray.From(reader.Diagnostics));

        private static string? ResolveClassName(ProfileInput input, string? profileName, JsonFieldReader reader)
        {
            if (!string.IsNullOrWhiteSpace(input.ClassNameOverride))
            {
                string name = input.ClassNameOverride!.Trim();
                if (CSharpNames.IsValidTypeName(name))
                {
                    return name;
                }

                reader.Report(DiagnosticDescriptors.InvalidClassName, default(TextRange), "UNCompProfile ClassName metadata", name, "fix the ClassName metadata of the UNCompProfile item");
                return null;
            }

            return profileName is null ? null : profileName + "Compiled";
        }

        private static string? ResolveNamespace(ProfileInput input, string fileName, JsonFieldReader reader)
        {
            string ns = input.Namespace ?? string.Empty;
            if (CSharpNames.IsValidNamespace(ns))
            {
                return ns;
            }

            reader.Report(DiagnosticDescriptors.InvalidNamespace, default(TextRange), fileName, ns, input.NamespaceSource);
            return null;
        }

        private static ModelDimensions? ReadModel(JsonNode root, JsonFieldReader reader)
        {
            JsonNode? node = reader.Object(root, "model");
            if (node is null)
            {
                return null;
            }

            string? architecture = reader.String(node, "architecture");
            int? layers = reader.Int(node, "numLayers");
            int? hidden = reader.Int(node, "hiddenSize");
            int? heads = reader.Int(node, "numAttentionHeads");
            int? kvHeads = reader.Int(node, "numKeyValueHeads");
            int? headDim = reader.Int(node, "headDim");
            int? vocab = reader.Int(node, "vocabSize");
            int? maxPositions = reader.Int(node, "maxPositionEmbeddings");
            string? fingerprint = reader.String(node, "fingerprint");
            if (architecture is null || layers is null || hidden is null || heads is null || kvHeads is null
                || headDim is null || vocab is null || maxPositions is null || fingerprint is null)
            {
                return null;
            }

            return new ModelDimensions(architecture, layers.Value, hidden.Value, heads.Value, kvHeads.Value, headDim.Value, vocab.Value, maxPositions.Value, fingerprint);
        }

        private static CalibrationInfo? ReadCalibration(JsonNode root, JsonFieldReader reader)
        {
            JsonNode? node = reader.Object(root, "calibration");
            if (node is null)
            {
                return null;
            }

            // Calibration fields document how the profile was measured; only truncationK and matrix are checked.
            int? samples = reader.OptionalInt(node, "samples", 0);
            int? tokens = reader.OptionalInt(node, "tokens", 0);
            long? seed = reader.OptionalLong(node, "seed", 0);
            string? source = reader.OptionalString(node, "source", string.Empty);
            string? matrix = reader.OptionalString(node, "matrix", "query");
            bool? postRope = reader.OptionalBool(node, "postRope", true);
            int? truncationK = reader.Int(node, "truncationK");
            bool? elbow = reader.OptionalBool(node, "elbow", false);
            string? tool = reader.OptionalString(node, "tool", string.Empty);
            string? created = reader.OptionalString(node, "createdUtc", string.Empty);
            if (samples is null || tokens is null || seed is null || source is null || matrix is null || postRope is null
                || truncationK is null || elbow is null || tool is null || created is null)
            {
                return null;
            }

            return new CalibrationInfo(samples.Value, tokens.Value, seed.Value, source, matrix, postRope.Value, truncationK.Value, elbow.Value, tool, created);
        }

        private static CompressionSettings? ReadCompression(JsonNode root, JsonFieldReader reader)
        {
            JsonNode? node = reader.Object(root, "compression");
            if (node is null)
            {
                return null;
            }

            string? method = reader.String(node, "method");
            string? granularity = reader.OptionalString(node, "granularity", "kvHead");
            int? window = reader.Int(node, "window");
            int? poolKernel = reader.Int(node, "poolKernel");
            double? meanBudget = reader.Number(node, "meanBudget");
            int? groupCount = reader.Int(node, "groupCount");
            double[]? weights = reader.NumberArray(reader.Array(node, "groupWeights"));
            string? decode = reader.String(node, "decode");
            JsonNode? hidden = reader.Object(node, "hiddenStates");
            bool? enabled = null;
            double? epsilon = null;
            int? minKeep = null;
            int? maxTokens = null;
            bool? keepWindow = null;
            if (hidden is not null)
            {
                enabled = reader.Bool(hidden, "enabled");
                epsilon = reader.Number(hidden, "epsilon");
                minKeep = reader.Int(hidden, "minKeep");
                maxTokens = reader.Int(hidden, "maxTokens");
                keepWindow = reader.Bool(hidden, "keepWindow");
            }

            if (method is null || granularity is null || window is null || poolKernel is null || meanBudget is null
                || groupCount is null || weights is null || decode is null || enabled is null || epsilon is null
                || minKeep is null || maxTokens is null || keepWindow is null)
            {
                return null;
            }

            return new CompressionSettings(
                method, granularity, window.Value, poolKernel.Value, meanBudget.Value, groupCount.Value,
                new EquatableArray<double>(weights), decode, enabled.Value, epsilon.Value, minKeep.Value, maxTokens.Value, keepWindow.Value);
        }

        private static List<StageSpec>? ReadStages(JsonNode? array, JsonFieldReader reader)
        {
            if (array is null)
            {
                return null;
            }

            var stages = new List<StageSpec>();
            bool ok = true;
            foreach (JsonNode item in array.Items)
            {
                JsonNode? stage = reader.Kind(item, JsonKind.Object, "an object");
                if (stage is null)
                {
                    ok = false;
                    continue;
                }

                int? first = reader.Int(stage, "firstLayer");
                int? last = reader.Int(stage, "lastLayer");
                int? keep = reader.Int(stage, "keepTokens");
                if (first is null || last is null || keep is null)
                {
                    ok = false;
                    continue;
                }

                stages.Add(new StageSpec(first.Value, last.Value, keep.Value));
            }

            return ok ? stages : null;
        }

        private static List<LayerSpec>? ReadLayers(JsonNode? array, JsonFieldReader reader)
        {
            if (array is null)
            {
                return null;
            }

            var layers = new List<LayerSpec>();
            bool ok = true;
            foreach (JsonNode item in array.Items)
            {
                JsonNode? layer = reader.Kind(item, JsonKind.Object, "an object");
                if (layer is null)
                {
                    ok = false;
                    continue;
                }

                int? index = reader.Int(layer, "layer");
                double? score = reader.Number(layer, "score");
                double[]? entropy = reader.NumberArray(reader.Array(layer, "entropy"));
                int[]? groups = reader.IntArray(reader.Array(layer, "groups"));
                int[]? budgets = reader.IntArray(reader.Array(layer, "budgets"));
                if (index is null || score is null || entropy is null || groups is null || budgets is null)
                {
                    ok = false;
                    continue;
                }

                layers.Add(new LayerSpec(
                    index.Value, score.Value, new EquatableArray<double>(entropy), new EquatableArray<int>(groups), new EquatableArray<int>(budgets)));
            }

            return ok ? layers : null;
        }
    }
}
