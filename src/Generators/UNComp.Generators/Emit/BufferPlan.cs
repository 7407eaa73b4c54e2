using System;
using UNComp.Generators.Model;

namespace UNComp.Generators.Emit
{
    /// <summary>
    /// The KV buffer layout fixed by a profile. K and V are two buffers of the same shape; cache units are laid out
    /// layer-major, then unit, and unit (l, u) starts at the prefix sum of capacity × headDim of the units before
    /// it. <c>UNComp.Runtime.Cache.KvCacheLayout.Offset(layer, unit)</c> uses the same rule.
    /// </summary>
    internal sealed class BufferPlan
    {
        public BufferPlan(ProfileSpec spec)
        {
            int units = spec.UnitsPerLayer;
            int layers = spec.Layers.Count;
            Offsets = new long[layers * units];
            LayerCapacity = new long[layers];
            long offset = 0;
            MaxBudget = 0;
            MinBudget = int.MaxValue;
            for (int l = 0; l < layers; l++)
            {
                for (int u = 0; u < units; u++)
                {
                    int budget = spec.Layers[l].Budgets[u];
                    Offsets[(l * units) + u] = offset;
                    offset += (long)budget * spec.Model.HeadDim;
                    LayerCapacity[l] += budget;
                    CapacityTokens += budget;
                    MaxBudget = Math.Max(MaxBudget, budget);
                    MinBudget = Math.Min(MinBudget, budget);
                }
            }

            ElementCount = offset;
        }

        /// <summary>Element offset of unit (l, u) inside the K (and the V) buffer, index <c>l * units + u</c>.</summary>
        public long[] Offsets { get; }

        /// <summary>Σ budgets of each layer, in tokens.</summary>
        public long[] LayerCapacity { get; }

        /// <summary>Σ budgets over every unit of every layer, in tokens.</summary>
        public long CapacityTokens { get; }

        /// <summary>Elements of the K buffer (the V buffer has as many): CapacityTokens × headDim.</summary>
        public long ElementCount { get; }

        public int MaxBudget { get; }

        public int MinBudget { get; }
    }
}
