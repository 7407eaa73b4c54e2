using System.Collections.Generic;
using UNComp.Generators.Model;

namespace UNComp.Generators.Emit
{
    internal static partial class ProfileEmitter
    {
        /// <summary>
        /// The profile's shape as NVRTC definitions (<c>NAME=value</c>; the GPU engine passes each as <c>-D</c>), so CUDA
        /// kernels can be compiled for this profile: head counts, head dimension, units, window, pooling and budget bounds.
        /// The generated <c>LoadCuda</c> hands them to <c>CudaEngineOptions.KernelDefines</c>.
        /// </summary>
        private static void EmitKernelDefines(IndentedWriter w, ProfileSpec spec, BufferPlan plan)
        {
            w.Summary("This profile's constants as NVRTC definitions (<c>NAME=value</c>, each passed as <c>-D</c>) for GPU kernels compiled per profile.");
            w.Line("public static global::System.Collections.Generic.IReadOnlyList<string> KernelDefines { get; } = new global::System.Collections.ObjectModel.ReadOnlyCollection<string>(new string[]");
            w.Line("{");
            foreach (KeyValuePair<string, int> define in KernelDefineValues(spec, plan))
            {
                w.Line("    \"" + define.Key + "=" + I(define.Value) + "\",");
            }

            w.Line("});");
            w.Line();
        }

        private static IEnumerable<KeyValuePair<string, int>> KernelDefineValues(ProfileSpec spec, BufferPlan plan)
        {
            ModelDimensions m = spec.Model;
            CompressionSettings c = spec.Compression;
            yield return new KeyValuePair<string, int>("UNCOMP_NUM_LAYERS", m.NumLayers);
            yield return new KeyValuePair<string, int>("UNCOMP_HEADS", m.NumAttentionHeads);
            yield return new KeyValuePair<string, int>("UNCOMP_KV_HEADS", m.NumKeyValueHeads);
            yield return new KeyValuePair<string, int>("UNCOMP_HEAD_DIM", m.HeadDim);
            yield return new KeyValuePair<string, int>("UNCOMP_UNITS_PER_LAYER", spec.UnitsPerLayer);
            yield return new KeyValuePair<string, int>("UNCOMP_QUERY_HEADS_PER_UNIT", c.PerKvHead ? m.NumAttentionHeads / m.NumKeyValueHeads : 1);
            yield return new KeyValuePair<string, int>("UNCOMP_WINDOW", c.Window);
            yield return new KeyValuePair<string, int>("UNCOMP_POOL_KERNEL", c.PoolKernel);
            yield return new KeyValuePair<string, int>("UNCOMP_MAX_BUDGET", plan.MaxBudget);
            yield return new KeyValuePair<string, int>("UNCOMP_MIN_BUDGET", plan.MinBudget);
        }
    }
}
