using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using UNComp.Generators.Diagnostics;
using UNComp.Generators.Json;
using UNComp.Generators.Model;
using UNComp.Profiles;

namespace UNComp.Generators.Parsing
{
    /// <summary>
    /// The semantic rules of <c>docs/profile-format.md</c>. Each violation is reported at the JSON value that
    /// breaks it; a rule whose inputs failed to read is skipped (their own diagnostic already explains why).
    /// </summary>
    internal sealed class ProfileRules
    {
        private readonly JsonFieldReader _reader;
        private readonly JsonNode _root;
        private readonly ModelDimensions? _model;
        private readonly CalibrationInfo? _calibration;
        private readonly CompressionSettings? _compression;

        public ProfileRules(JsonFieldReader reader, JsonNode root, ModelDimensions? model, CalibrationInfo? calibration, CompressionSettings? compression)
        {
            _reader = reader;
            _root = root;
            _model = model;
            _calibration = calibration;
            _compression = compression;
        }

        private int? UnitsPerLayer => _model is null || _compression is null || !ProfileFormatRules.IsOneOf(_compression.Granularity, ProfileFormatRules.Granularities)
            ? null
            : ProfileFormatRules.UnitsPerLayer(_compression.Granularity, _model.NumAttentionHeads, _model.NumKeyValueHeads);

        public void CheckModel()
        {
            if (_model is null)
            {
                return;
            }

            OneOf(Node("model", "architecture"), _model.Architecture, ProfileFormatRules.Architectures);
            Positive("numLayers", _model.NumLayers);
            Positive("hiddenSize", _model.HiddenSize);
            Positive("numAttentionHeads", _model.NumAttentionHeads);
            Positive("numKeyValueHeads", _model.NumKeyValueHeads);
            Positive("headDim", _model.HeadDim);
            Positive("vocabSize", _model.VocabSize);
            Positive("maxPositionEmbeddings", _model.MaxPositionEmbeddings);
            if (ProfileFormatRules.CheckHeadGrouping(_model.NumAttentionHeads, _model.NumKeyValueHeads) is string grouping)
            {
                _reader.Report(DiagnosticDescriptors.InvalidModelDimensions, Node("model", "numKeyValueHeads"), "$.model.numKeyValueHeads", grouping);
            }

            if (_model.NumAttentionHeads > 0 && _model.MaxPositionEmbeddings > 0 && (long)_model.NumAttentionHeads * ((long)_model.MaxPositionEmbeddings + 1) > int.MaxValue)
            {
                // Engines size per-head score buffers as numAttentionHeads × (largest budget + 1) ints.
                Range(Node("model", "maxPositionEmbeddings"), Invariant("maxPositionEmbeddings {0} × numAttentionHeads {1} is beyond what one buffer can index; check the model dimensions", _model.MaxPositionEmbeddings, _model.NumAttentionHeads));
            }

            if (!ProfileFormatRules.IsFingerprint(_model.Fingerprint))
            {
                _reader.Report(DiagnosticDescriptors.InvalidFingerprint, Node("model", "fingerprint"), "$.model.fingerprint", _model.Fingerprint);
            }

            if (_calibration is not null)
            {
                OneOf(Node("calibration", "matrix"), _calibration.Matrix, ProfileFormatRules.Matrices);
                if (_model.HeadDim > 0)
                {
                    Range(Node("calibration", "truncationK"), ProfileFormatRules.CheckTruncationK(_calibration.TruncationK, _model.HeadDim));
                }
            }
        }

        public void CheckCompression()
        {
            if (_compression is null)
            {
                return;
            }

            CompressionSettings c = _compression;
            OneOf(Node("compression", "method"), c.Method, ProfileFormatRules.Methods);
            OneOf(Node("compression", "granularity"), c.Granularity, ProfileFormatRules.Granularities);
            OneOf(Node("compression", "decode"), c.Decode, ProfileFormatRules.DecodeModes);
            Range(Node("compression", "window"), ProfileFormatRules.CheckWindow(c.Window));
            Range(Node("compression", "poolKernel"), ProfileFormatRules.CheckPoolKernel(c.PoolKernel));
            Range(Node("compression", "meanBudget"), ProfileFormatRules.CheckMeanBudget(c.MeanBudget, c.Window));
            Range(Node("compression", "hiddenStates", "epsilon"), ProfileFormatRules.CheckEpsilon(c.HiddenStatesEpsilon));
            Range(Node("compression", "hiddenStates", "minKeep"), ProfileFormatRules.CheckMinKeep(c.HiddenStatesMinKeep, c.Window));
            Range(Node("compression", "hiddenStates", "maxTokens"), ProfileFormatRules.CheckMaxTokens(c.HiddenStatesMaxTokens, c.HiddenStatesMinKeep));
            if (ProfileFormatRules.CheckGroupCount(c.GroupCount) is string groupCount)
            {
                Range(Node("compression", "groupCount"), groupCount);
                return;
            }

            JsonNode weights = Node("compression", "groupWeights");
            if (c.GroupWeights.Count != c.GroupCount)
            {
                _reader.Report(DiagnosticDescriptors.InvalidGroupWeights, weights, "$.compression.groupWeights", Invariant("has {0} weights but groupCount is {1}; give one weight per group", c.GroupWeights.Count, c.GroupCount));
            }

            for (int g = 0; g < c.GroupWeights.Count; g++)
            {
                if (ProfileFormatRules.CheckGroupWeight(c.GroupWeights[g]) is string weight)
                {
                    _reader.Report(DiagnosticDescriptors.InvalidGroupWeights, Item(weights, g), Invariant("$.compression.groupWeights[{0}]", g), weight);
                }
            }
        }

        public void CheckLayers(JsonNode? layersNode, List<LayerSpec>? layers)
        {
            if (layersNode is null || layers is null || _model is null || _model.NumLayers < 1)
            {
                return;
            }

            if (layers.Count != _model.NumLayers)
            {
                _reader.Report(DiagnosticDescriptors.LayerTableMismatch, layersNode, "$.layers", Invariant("has {0} entries but model.numLayers is {1}; give exactly one entry per layer", layers.Count, _model.NumLayers));
            }

            int? units = UnitsPerLayer;
            long total = 0;
            long count = 0;
            bool budgetsComplete = units is not null;
            for (int i = 0; i < layers.Count; i++)
            {
                LayerSpec layer = layers[i];
                JsonNode layerNode = layersNode.Items[i];
                string path = Invariant("$.layers[{0}]", i);
                if (layer.Layer != i)
                {
                    _reader.Report(DiagnosticDescriptors.LayerTableMismatch, Member(layerNode, "layer"), path + ".layer", Invariant("is {0} but the entry is at index {1}; layers must be listed in order 0..numLayers-1", layer.Layer, i));
                }

                if (_model.NumAttentionHeads > 0 && layer.Entropy.Count != _model.NumAttentionHeads)
                {
                    _reader.Report(DiagnosticDescriptors.UnitCountMismatch, Member(layerNode, "entropy"), path + ".entropy", layer.Entropy.Count, _model.NumAttentionHeads, "one per query head");
                }

                if (units is null || units < 1)
                {
                    continue;
                }

                string unitWord = _compression!.PerKvHead ? "one per KV head (granularity kvHead)" : "one per query head (granularity queryHead)";
                bool shapeOk = true;
                if (layer.Groups.Count != units)
                {
                    _reader.Report(DiagnosticDescriptors.UnitCountMismatch, Member(layerNode, "groups"), path + ".groups", layer.Groups.Count, units, unitWord);
                    shapeOk = false;
                }

                if (layer.Budgets.Count != units)
                {
                    _reader.Report(DiagnosticDescriptors.UnitCountMismatch, Member(layerNode, "budgets"), path + ".budgets", layer.Budgets.Count, units, unitWord);
                    shapeOk = false;
                    budgetsComplete = false;
                }

                CheckBudgets(layerNode, path, layer, shapeOk, ref total, ref count);
            }

            if (budgetsComplete && count > 0 && _compression!.MeanBudget > 0
                && ProfileFormatRules.CheckMeanAgreement(_compression.MeanBudget, total, count) is not null)
            {
                _reader.Report(DiagnosticDescriptors.MeanBudgetMismatch, Node("compression", "meanBudget"), "$.compression.meanBudget", Format(_compression.MeanBudget), Format(Math.Round((double)total / count, 3)));
            }
        }

        private void CheckBudgets(JsonNode layerNode, string path, LayerSpec layer, bool shapeOk, ref long total, ref long count)
        {
            CompressionSettings c = _compression!;
            JsonNode groupsNode = Member(layerNode, "groups");
            JsonNode budgetsNode = Member(layerNode, "budgets");
            bool groupsOk = true;
            for (int u = 0; u < layer.Groups.Count; u++)
            {
                if (c.GroupCount >= 1 && (layer.Groups[u] < 0 || layer.Groups[u] >= c.GroupCount))
                {
                    _reader.Report(DiagnosticDescriptors.GroupOutOfRange, Item(groupsNode, u), Invariant("{0}.groups[{1}]", path, u), layer.Groups[u], c.GroupCount);
                    groupsOk = false;
                }
            }

            for (int u = 0; u < layer.Budgets.Count; u++)
            {
                total += layer.Budgets[u];
                count++;
                if (c.Window >= 1 && ProfileFormatRules.CheckBudget(layer.Budgets[u], c.Window) is not null)
                {
                    _reader.Report(DiagnosticDescriptors.BudgetBelowWindow, Item(budgetsNode, u), Invariant("{0}.budgets[{1}]", path, u), layer.Budgets[u], c.Window);
                }
                else if (_model!.MaxPositionEmbeddings > 0 && layer.Budgets[u] > _model.MaxPositionEmbeddings)
                {
                    _reader.Report(DiagnosticDescriptors.BudgetExceedsContext, Item(budgetsNode, u), Invariant("{0}.budgets[{1}]", path, u), layer.Budgets[u], _model.MaxPositionEmbeddings);
                }
            }

            // More groups than units cannot be an even split (and would size the tally by a hostile groupCount).
            if (!shapeOk || !groupsOk || c.GroupCount < 1 || c.GroupCount > layer.Groups.Count)
            {
                return;
            }

            var sizes = new int[c.GroupCount];
            foreach (int g in layer.Groups)
            {
                sizes[g]++;
            }

            if (sizes.Max() - sizes.Min() > 1)
            {
                _reader.Report(DiagnosticDescriptors.UnevenGroups, groupsNode, path + ".groups", "[" + string.Join(", ", sizes.Select(s => s.ToString(CultureInfo.InvariantCulture))) + "]");
            }

            if (ProfileFormatRules.FindBudgetOrderViolation(layer.Groups.ToArray(), layer.Budgets.ToArray()) is (int a, int b))
            {
                _reader.Report(DiagnosticDescriptors.BudgetOrderViolated, Item(budgetsNode, a), Invariant("{0}.budgets[{1}]", path, a), layer.Budgets[a], layer.Groups[a], layer.Budgets[b], layer.Groups[b]);
            }
        }

        public void CheckStages(JsonNode? stagesNode, List<StageSpec>? stages)
        {
            if (stagesNode is null || stages is null || _model is null || _model.NumLayers < 1)
            {
                return;
            }

            if (stages.Count == 0)
            {
                _reader.Report(DiagnosticDescriptors.StagesDoNotCoverLayers, stagesNode, "$.stages", Invariant("is empty; give at least one stage covering layers 0..{0}", _model.NumLayers - 1));
                return;
            }

            int expectedFirst = 0;
            for (int s = 0; s < stages.Count; s++)
            {
                StageSpec stage = stages[s];
                JsonNode stageNode = stagesNode.Items[s];
                string path = Invariant("$.stages[{0}]", s);
                if (stage.FirstLayer != expectedFirst)
                {
                    _reader.Report(DiagnosticDescriptors.StagesDoNotCoverLayers, Member(stageNode, "firstLayer"), path + ".firstLayer", Invariant("is {0} but must be {1}; stages are contiguous, in order, starting at layer 0", stage.FirstLayer, expectedFirst));
                }
                else if (stage.LastLayer < stage.FirstLayer)
                {
                    _reader.Report(DiagnosticDescriptors.StagesDoNotCoverLayers, Member(stageNode, "lastLayer"), path + ".lastLayer", Invariant("is {0}, before firstLayer {1}", stage.LastLayer, stage.FirstLayer));
                }
                else if (s == stages.Count - 1 && stage.LastLayer != _model.NumLayers - 1)
                {
                    _reader.Report(DiagnosticDescriptors.StagesDoNotCoverLayers, Member(stageNode, "lastLayer"), path + ".lastLayer", Invariant("is {0} but the last stage must end at layer {1} (numLayers - 1)", stage.LastLayer, _model.NumLayers - 1));
                }

                expectedFirst = stage.LastLayer + 1;
                int window = _compression is not null && _compression.Window >= 1 ? _compression.Window : 1;
                if (ProfileFormatRules.CheckStageKeep(stage.KeepTokens, window, s > 0 ? stages[s - 1].KeepTokens : null) is string keep)
                {
                    _reader.Report(DiagnosticDescriptors.InvalidKeepTokens, Member(stageNode, "keepTokens"), path + ".keepTokens", keep);
                }
            }

            if (_compression is not null && ProfileFormatRules.CheckStagesWithHiddenStates(stages.Count, _compression.HiddenStatesEnabled) is not null)
            {
                _reader.Report(DiagnosticDescriptors.StagesWithoutHiddenStates, stagesNode, "$.stages", stages.Count);
            }
        }

        private void Positive(string field, int value)
        {
            if (ProfileFormatRules.CheckDimension(value) is string message)
            {
                _reader.Report(DiagnosticDescriptors.InvalidModelDimensions, Node("model", field), "$.model." + field, message);
            }
        }

        private void OneOf(JsonNode node, string value, string[] allowed)
        {
            if (!ProfileFormatRules.IsOneOf(value, allowed))
            {
                _reader.Report(DiagnosticDescriptors.UnsupportedValue, node, node.Path, value, string.Join(", ", allowed));
            }
        }

        /// <summary>Reports a broken value rule (the message from <see cref="ProfileFormatRules"/>); nothing when it holds.</summary>
        private void Range(JsonNode node, string? message)
        {
            if (message is not null)
            {
                _reader.Report(DiagnosticDescriptors.SettingOutOfRange, node, node.Path, message);
            }
        }

        /// <summary>The node at a member path under the root; the deepest existing ancestor when a member is absent.</summary>
        private JsonNode Node(params string[] names)
        {
            JsonNode node = _root;
            foreach (string name in names)
            {
                JsonProperty? property = node.Find(name);
                if (property is null)
                {
                    return node;
                }

                node = property.Value;
            }

            return node;
        }

        private static JsonNode Member(JsonNode parent, string name) => parent.Find(name)?.Value ?? parent;

        private static JsonNode Item(JsonNode array, int index) => index < array.Items.Count ? array.Items[index] : array;

        private static string Invariant(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

        private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    }
}
