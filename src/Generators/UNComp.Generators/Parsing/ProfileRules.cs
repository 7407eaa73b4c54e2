using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using UNComp.Generators.Diagnostics;
using UNComp.Generators.Json;
using UNComp.Generators.Model;

namespace UNComp.Generators.Parsing
{
    /// <summary>
    /// The semantic rules of <c>docs/profile-format.md</c>. Each violation is reported at the JSON value that
    /// breaks it; a rule whose inputs failed to read is skipped (their own diagnostic already explains why).
    /// </summary>
    internal sealed class ProfileRules
    {
        private static readonly string[] Architectures = { "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM" };
        private static readonly string[] Granularities = { "kvHead", "queryHead" };
        private static readonly string[] DecodeModes = { "fixed", "grow" };
        private static readonly string[] Methods = { "uncomp" };
        private static readonly string[] Matrices = { "query", "key", "value" };

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

        private int? UnitsPerLayer => _model is null || _compression is null || !Granularities.Contains(_compression.Granularity)
            ? null
            : _compression.PerKvHead ? _model.NumKeyValueHeads : _model.NumAttentionHeads;

        public void CheckModel()
        {
            if (_model is null)
            {
                return;
            }

            OneOf(Node("model", "architecture"), _model.Architecture, Architectures);
            Positive("numLayers", _model.NumLayers);
            Positive("hiddenSize", _model.HiddenSize);
            Positive("numAttentionHeads", _model.NumAttentionHeads);
            Positive("numKeyValueHeads", _model.NumKeyValueHeads);
            Positive("headDim", _model.HeadDim);
            Positive("vocabSize", _model.VocabSize);
            Positive("maxPositionEmbeddings", _model.MaxPositionEmbeddings);
            if (_model.NumAttentionHeads > 0 && _model.NumKeyValueHeads > 0 && _model.NumAttentionHeads % _model.NumKeyValueHeads != 0)
            {
                _reader.Report(
                    DiagnosticDescriptors.InvalidModelDimensions,
                    Node("model", "numKeyValueHeads"),
                    "$.model.numKeyValueHeads",
                    string.Format(CultureInfo.InvariantCulture, "numAttentionHeads ({0}) is not a multiple of numKeyValueHeads ({1})", _model.NumAttentionHeads, _model.NumKeyValueHeads));
            }

            if (_model.NumAttentionHeads > 0 && _model.MaxPositionEmbeddings > 0 && (long)_model.NumAttentionHeads * ((long)_model.MaxPositionEmbeddings + 1) > int.MaxValue)
            {
                // The compiled decode-scores size is numAttentionHeads × (largest budget + 1), an int constant.
                Range(Node("model", "maxPositionEmbeddings"), "maxPositionEmbeddings {0} × numAttentionHeads {1} is beyond what one buffer can index; check the model dimensions", _model.MaxPositionEmbeddings, _model.NumAttentionHeads);
            }

            if (!IsFingerprint(_model.Fingerprint))
            {
                _reader.Report(DiagnosticDescriptors.InvalidFingerprint, Node("model", "fingerprint"), "$.model.fingerprint", _model.Fingerprint);
            }

            if (_calibration is not null)
            {
                OneOf(Node("calibration", "matrix"), _calibration.Matrix, Matrices);
                if (_model.HeadDim > 0 && (_calibration.TruncationK < 1 || _calibration.TruncationK > _model.HeadDim))
                {
                    Range(Node("calibration", "truncationK"), "truncationK {0} is outside [1, headDim = {1}]", _calibration.TruncationK, _model.HeadDim);
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
            OneOf(Node("compression", "method"), c.Method, Methods);
            OneOf(Node("compression", "granularity"), c.Granularity, Granularities);
            OneOf(Node("compression", "decode"), c.Decode, DecodeModes);
            if (c.Window < 1)
            {
                Range(Node("compression", "window"), "window {0} must be at least 1", c.Window);
            }

            if (c.PoolKernel < 1 || c.PoolKernel % 2 == 0)
            {
                Range(Node("compression", "poolKernel"), "poolKernel {0} must be odd and at least 1", c.PoolKernel);
            }

            if (c.MeanBudget <= 0)
            {
                Range(Node("compression", "meanBudget"), "meanBudget {0} must be positive", c.MeanBudget);
            }

            if (c.HiddenStatesEpsilon < 0)
            {
                Range(Node("compression", "hiddenStates", "epsilon"), "epsilon {0} must not be negative", c.HiddenStatesEpsilon);
            }

            if (c.HiddenStatesMinKeep < 1)
            {
                Range(Node("compression", "hiddenStates", "minKeep"), "minKeep {0} must be at least 1", c.HiddenStatesMinKeep);
            }

            if (c.HiddenStatesMaxTokens < 1)
            {
                Range(Node("compression", "hiddenStates", "maxTokens"), "maxTokens {0} must be at least 1", c.HiddenStatesMaxTokens);
            }

            if (c.GroupCount < 1)
            {
                Range(Node("compression", "groupCount"), "groupCount {0} must be at least 1", c.GroupCount);
                return;
            }

            JsonNode weights = Node("compression", "groupWeights");
            if (c.GroupWeights.Count != c.GroupCount)
            {
                _reader.Report(DiagnosticDescriptors.InvalidGroupWeights, weights, "$.compression.groupWeights", Invariant("has {0} weights but groupCount is {1}; give one weight per group", c.GroupWeights.Count, c.GroupCount));
            }

            for (int g = 0; g < c.GroupWeights.Count; g++)
            {
                if (!(c.GroupWeights[g] > 0))
                {
                    _reader.Report(DiagnosticDescriptors.InvalidGroupWeights, Item(weights, g), Invariant("$.compression.groupWeights[{0}]", g), Invariant("weight {0} must be positive", c.GroupWeights[g]));
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

            if (budgetsComplete && count > 0 && _compression!.MeanBudget > 0)
            {
                double mean = (double)total / count;
                if (Math.Abs(mean - _compression.MeanBudget) > 1.0)
                {
                    _reader.Report(DiagnosticDescriptors.MeanBudgetMismatch, Node("compression", "meanBudget"), "$.compression.meanBudget", Format(_compression.MeanBudget), Format(Math.Round(mean, 3)));
                }
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
                if (c.Window >= 1 && layer.Budgets[u] < c.Window)
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

            for (int a = 0; a < layer.Budgets.Count; a++)
            {
                for (int b = 0; b < layer.Budgets.Count; b++)
                {
                    if (layer.Groups[a] > layer.Groups[b] && layer.Budgets[a] < layer.Budgets[b])
                    {
                        _reader.Report(DiagnosticDescriptors.BudgetOrderViolated, Item(budgetsNode, a), Invariant("{0}.budgets[{1}]", path, a), layer.Budgets[a], layer.Groups[a], layer.Budgets[b], layer.Groups[b]);
                        break;
                    }
                }
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
                if (_compression is not null && _compression.Window >= 1 && stage.KeepTokens < _compression.Window)
                {
                    _reader.Report(DiagnosticDescriptors.InvalidKeepTokens, Member(stageNode, "keepTokens"), path + ".keepTokens", Invariant("keepTokens {0} is below window {1}", stage.KeepTokens, _compression.Window));
                }
                else if (s > 0 && stage.KeepTokens > stages[s - 1].KeepTokens)
                {
                    _reader.Report(DiagnosticDescriptors.InvalidKeepTokens, Member(stageNode, "keepTokens"), path + ".keepTokens", Invariant("keepTokens {0} is larger than the previous stage's {1}; deeper stages keep no more tokens", stage.KeepTokens, stages[s - 1].KeepTokens));
                }
            }

            if (_compression is not null && !_compression.HiddenStatesEnabled && stages.Count > 1)
            {
                _reader.Report(DiagnosticDescriptors.StagesWithoutHiddenStates, stagesNode, "$.stages", stages.Count);
            }
        }

        private void Positive(string field, int value)
        {
            if (value < 1)
            {
                _reader.Report(DiagnosticDescriptors.InvalidModelDimensions, Node("model", field), "$.model." + field, Invariant("must be a positive integer, found {0}", value));
            }
        }

        private void OneOf(JsonNode node, string value, string[] allowed)
        {
            if (Array.IndexOf(allowed, value) < 0)
            {
                _reader.Report(DiagnosticDescriptors.UnsupportedValue, node, node.Path, value, string.Join(", ", allowed));
            }
        }

        private void Range(JsonNode node, string format, params object[] args)
            => _reader.Report(DiagnosticDescriptors.SettingOutOfRange, node, node.Path, Invariant(format, args));

        private static bool IsFingerprint(string value)
        {
            const string Prefix = "sha256:";
            if (value.Length != Prefix.Length + 64 || !value.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return false;
            }

            for (int i = Prefix.Length; i < value.Length; i++)
            {
                char c = value[i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                {
                    return false;
                }
            }

            return true;
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
