using System;
using System.Collections.Generic;
using System.Linq;
using UNComp.Generators.Model;

namespace UNComp.Generators.Emit
{
    internal static partial class ProfileEmitter
    {
        /// <summary>One block per layer: its stage, keep length, and a named constant per cache unit budget.</summary>
        private static void EmitLayerConstants(IndentedWriter w, ProfileSpec spec)
        {
            string unit = spec.Compression.PerKvHead ? "KV head" : "query head";
            foreach (LayerSpec layer in spec.Layers)
            {
                int l = layer.Layer;
                int stage = StageOf(spec, l);
                w.Line("// Layer " + I(l) + ": stage " + I(stage) + ", " + I(spec.Stages[stage].KeepTokens) + " hidden-state tokens, groups ["
                    + Join(layer.Groups.Select(I)) + "].");
                for (int u = 0; u < layer.Budgets.Count; u++)
                {
                    w.Summary("KV capacity in tokens of layer " + I(l) + ", " + unit + " " + I(u) + " (group " + I(layer.Groups[u]) + ").");
                    w.Line("public const int Layer" + I(l) + "Unit" + I(u) + "Budget = " + I(layer.Budgets[u]) + ";");
                    w.Line();
                }

                w.Summary("Hidden-state tokens layer " + I(l) + " processes during prefill (its stage's keep length).");
                w.Line("public const int Layer" + I(l) + "KeepTokens = " + I(spec.Stages[stage].KeepTokens) + ";");
                w.Line();
            }
        }

        private static void EmitTables(IndentedWriter w, ProfileSpec spec)
        {
            w.Summary("KV capacity in tokens per cache unit, layer-major (index <c>layer * UnitsPerLayer + unit</c>).");
            PerLayerTable(w, spec, "int", "Budgets", l => l.Budgets.Select(I));
            w.Summary("Entropy group per cache unit, layer-major (index <c>layer * UnitsPerLayer + unit</c>).");
            PerLayerTable(w, spec, "int", "Groups", l => l.Groups.Select(I));
            w.Summary("Calibrated normalised entropy per query head, layer-major (index <c>layer * NumAttentionHeads + head</c>).");
            PerLayerTable(w, spec, "double", "Entropy", l => l.Entropy.Select(D));
            w.Summary("Layer scores s_l that the stages were cut from.");
            Table(w, "double", "LayerScores", spec.Layers.Select(l => D(l.Score)));
            w.Summary("Budget multiplier w_g per group (group 0 = lowest entropy).");
            Table(w, "double", "GroupWeights", spec.Compression.GroupWeights.Select(D));
            w.Summary("First layer of each stage.");
            Table(w, "int", "StageFirstLayers", spec.Stages.Select(s => I(s.FirstLayer)));
            w.Summary("Last layer (inclusive) of each stage.");
            Table(w, "int", "StageLastLayers", spec.Stages.Select(s => I(s.LastLayer)));
            w.Summary("Hidden-state tokens each stage keeps (non-increasing with depth).");
            Table(w, "int", "StageKeepTokens", spec.Stages.Select(s => I(s.KeepTokens)));
            w.Summary("Stage of each layer.");
            Table(w, "int", "LayerStages", spec.Layers.Select(l => I(StageOf(spec, l.Layer))));
            w.Summary("Hidden-state tokens each layer processes during prefill.");
            Table(w, "int", "LayerKeepTokens", spec.Layers.Select(l => I(spec.Stages[StageOf(spec, l.Layer)].KeepTokens)));
        }

        private static int StageOf(ProfileSpec spec, int layer)
        {
            for (int s = 0; s < spec.Stages.Count; s++)
            {
                if (layer >= spec.Stages[s].FirstLayer && layer <= spec.Stages[s].LastLayer)
                {
                    return s;
                }
            }

            // Unreachable for a validated spec: stages cover every layer.
            throw new InvalidOperationException("layer " + I(layer) + " is in no stage");
        }

        /// <summary>A span table on one line.</summary>
        private static void Table(IndentedWriter w, string type, string name, IEnumerable<string> values)
        {
            w.Line("public static global::System.ReadOnlySpan<" + type + "> " + name + " => new " + type + "[] { " + Join(values) + " };");
            w.Line();
        }

        /// <summary>A span table with one line per layer, so a diff shows which layer changed.</summary>
        internal static void PerLayerTable(IndentedWriter w, ProfileSpec spec, string type, string name, Func<LayerSpec, IEnumerable<string>> row)
        {
            w.Line("public static global::System.ReadOnlySpan<" + type + "> " + name + " => new " + type + "[]");
            w.Line("{");
            foreach (LayerSpec layer in spec.Layers)
            {
                w.Line("    " + Join(row(layer)) + ", // layer " + I(layer.Layer));
            }

            w.Line("};");
            w.Line();
        }

        private static string Join(IEnumerable<string> values) => string.Join(", ", values);
    }
}
