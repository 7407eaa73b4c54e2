using System.Linq;
using UNComp.Generators.Model;

namespace UNComp.Generators.Emit
{
    internal static partial class ProfileEmitter
    {
        /// <summary>
        /// The KV buffer plan: <c>KvOffsets</c> and <c>Budgets</c> are what the runtime half builds its layout from
        /// (<c>KvCacheLayout.FromPlan</c>), so the cache is allocated exactly as emitted; the sizes are expressions over
        /// them so a reader can check them. Engine scratch is not planned here: it depends on the sequence length chosen
        /// at load time. The spans are static data an engine (CPU now, a GPU engine's kernel constants later) can read.
        /// </summary>
        private static void EmitBufferPlan(IndentedWriter w, ProfileSpec spec, BufferPlan plan)
        {
            int units = spec.UnitsPerLayer;
            w.Line("// Buffer plan: K and V are two buffers of KvElementCount elements each; unit (layer, unit) starts at");
            w.Line("// Offset(layer, unit) = Σ capacity × HeadDim over the units before it, layer-major then unit.");
            Const(w, "long", "KvCapacityTokens", L(plan.CapacityTokens), "Σ of every unit's budget: cached tokens over all layers and units.");
            Const(w, "int", "MaxBudget", I(plan.MaxBudget), "Largest budget of any unit.");
            Const(w, "int", "MinBudget", I(plan.MinBudget), "Smallest budget of any unit.");
            Const(w, "long", "KvElementCount", "KvCapacityTokens * HeadDim", "Elements of the K buffer; the V buffer has as many.");
            Const(w, "long", "KvBytesFp32", "2 * KvElementCount * sizeof(float)", "Bytes of K plus V per sequence with fp32 entries.");
            Const(w, "long", "KvBytesBf16", "2 * KvElementCount * 2", "Bytes of K plus V per sequence with bf16 entries.");
            Const(w, "long", "FullKvBytesPerTokenFp32", "2L * NumLayers * NumKeyValueHeads * HeadDim * sizeof(float)", "Bytes an uncompressed fp32 cache spends per token, for comparison.");
            Const(w, "long", "FullKvBytesPerTokenBf16", "2L * NumLayers * NumKeyValueHeads * HeadDim * 2", "Bytes an uncompressed bf16 cache spends per token, for comparison.");

            w.Summary("Element offset of each unit in the K and V buffers, layer-major; the last entry is KvElementCount. The runtime half lays the cache out from exactly these offsets.");
            w.Line("public static global::System.ReadOnlySpan<long> KvOffsets => new long[]");
            w.Line("{");
            foreach (LayerSpec layer in spec.Layers)
            {
                int l = layer.Layer;
                string row = string.Join(", ", Enumerable.Range(0, units).Select(u => L(plan.Offsets[(l * units) + u])));
                w.Line("    " + row + ", // layer " + I(l));
            }

            w.Line("    " + L(plan.ElementCount) + ", // end");
            w.Line("};");
            w.Line();
            w.Summary("Tokens cached per layer (Σ of its units' budgets).");
            w.Line("public static global::System.ReadOnlySpan<long> LayerCapacityTokens => new long[] { " + string.Join(", ", plan.LayerCapacity.Select(L)) + " };");
            w.Line();
        }
    }
}
