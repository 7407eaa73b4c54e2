using UNComp.Runtime.Cache;
using UNComp.Runtime.Models;

namespace UNComp.Runtime.Compression;

/// <summary>
/// Builds <see cref="KvBudgetPlan"/>s for every method from one mean budget M (tokens per cache unit, window
/// included). Rounding uses largest remainders so Σ capacities = round(M × units) for every method; each unit
/// gets at least 1 token and at most <c>maxCapacity</c> when given (capping moves the excess to other units).
/// </summary>
public static class KvBudgetPlanner
{
    /// <summary>Every unit gets M (SnapKV, StreamingLLM, H2O, and UNComp without groups).</summary>
    public static KvBudgetPlan Uniform(ModelConfig config, double meanBudget, CacheGranularity granularity = CacheGranularity.KvHead, int? maxCapacity = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        int units = KvCacheLayout.UnitsOf(config, granularity);
        var weights = Enumerable.Range(0, config.NumLayers).Select(_ => Enumerable.Repeat(1.0, units).ToArray()).ToArray();
        return FromWeights(config, weights, meanBudget, granularity, maxCapacity);
    }

    /// <summary>
    /// PyramidKV: per-layer budgets falling linearly from layer 0 to the last layer, with min = M/β at the last
    /// layer and max = 2M − M/β at layer 0 (so the mean is M); every unit of a layer gets its layer's budget.
    /// </summary>
    public static KvBudgetPlan Pyramid(ModelConfig config, double meanBudget, double beta = 20, CacheGranularity granularity = CacheGranularity.KvHead, int? maxCapacity = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(beta, 1.0);
        int layers = config.NumLayers;
        int units = KvCacheLayout.UnitsOf(config, granularity);
        double min = 1.0 / beta;
        double max = 2.0 - min;
        var weights = new double[layers][];
        for (int l = 0; l < layers; l++)
        {
            double wl = layers == 1 ? 1.0 : max + ((min - max) * l / (layers - 1));
            weights[l] = Enumerable.Repeat(wl, units).ToArray();
        }

        return FromWeights(config, weights, meanBudget, granularity, maxCapacity);
    }

    /// <summary>
    /// Capacities proportional to <paramref name="relativeBudgets"/> (e.g. a profile's per-head budgets), scaled so
    /// the mean is <paramref name="meanBudget"/>. UNComp's entropy groups enter here.
    /// </summary>
    public static KvBudgetPlan Scaled(ModelConfig config, IReadOnlyList<IReadOnlyList<int>> relativeBudgets, double meanBudget, CacheGranularity granularity = CacheGranularity.KvHead, int? maxCapacity = null)
    {
        ArgumentNullException.ThrowIfNull(relativeBudgets);
        var weights = relativeBudgets.Select(r => r.Select(b => (double)b).ToArray()).ToArray();
        return FromWeights(config, weights, meanBudget, granularity, maxCapacity);
    }

    /// <summary>Exact capacities as given (e.g. a profile's budgets at its calibrated mean).</summary>
    public static KvBudgetPlan Exact(ModelConfig config, IReadOnlyList<IReadOnlyList<int>> capacities, CacheGranularity granularity = CacheGranularity.KvHead)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(capacities);
        var rows = capacities.Select(r => r.ToArray()).ToArray();
        _ = KvCacheLayout.FromCapacities(config, rows, granularity); // validates shape and values
        return new KvBudgetPlan(config, rows, granularity);
    }

    /// <summary>Capacities proportional to positive weights with mean <paramref name="meanBudget"/> (largest-remainder rounding).</summary>
    public static KvBudgetPlan FromWeights(ModelConfig config, double[][] weights, double meanBudget, CacheGranularity granularity = CacheGranularity.KvHead, int? maxCapacity = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        if (!(meanBudget >= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(meanBudget), meanBudget, "the mean budget must be at least 1 token per unit.");
        }

        int units = KvCacheLayout.UnitsOf(config, granularity);
        if (weights.Length != config.NumLayers || weights.Any(r => r is null || r.Length != units))
        {
            throw new ArgumentException($"weights must have {config.NumLayers} rows of {units} ({granularity}) entries.", nameof(weights));
        }

        if (weights.Any(r => r.Any(w => !(w > 0) || double.IsInfinity(w))))
        {
            throw new ArgumentException("every weight must be a positive finite number.", nameof(weights));
        }

        int count = config.NumLayers * units;
        int cap = maxCapacity ?? int.MaxValue;
        long total = (long)Math.Round(meanBudget * count, MidpointRounding.AwayFromZero);
        if (total > (long)cap * count)
        {
            total = (long)cap * count;
        }

        var flatWeights = weights.SelectMany(r => r).ToArray();
        var result = new int[count];
        var fixedUnits = new bool[count];
        long remaining = total;

        // Water-filling: units whose share would pass the cap (or fall under 1) are pinned, the rest re-share.
        while (true)
        {
            double weightSum = 0;
            for (int i = 0; i < count; i++)
            {
                if (!fixedUnits[i])
                {
                    weightSum += flatWeights[i];
                }
            }

            bool pinned = false;
            for (int i = 0; i < count; i++)
            {
                if (fixedUnits[i])
                {
                    continue;
                }

                double share = remaining * flatWeights[i] / weightSum;
                if (share >= cap || share < 1)
                {
                    result[i] = share >= cap ? cap : 1;
                    fixedUnits[i] = true;
                    remaining -= result[i];
                    pinned = true;
                }
            }

            if (!pinned)
            {
                Distribute(flatWeights, fixedUnits, remaining, weightSum, result);
                break;
            }
        }

        var rows = new int[config.NumLayers][];
        for (int l = 0; l < config.NumLayers; l++)
        {
            rows[l] = result.AsSpan(l * units, units).ToArray();
        }

        return new KvBudgetPlan(config, rows, granularity);
    }

    private static void Distribute(double[] weights, bool[] fixedUnits, long remaining, double weightSum, int[] result)
    {
        var free = Enumerable.Range(0, weights.Length).Where(i => !fixedUnits[i]).ToArray();
        if (free.Length == 0)
        {
            return;
        }

        long assigned = 0;
        var remainders = new double[free.Length];
        for (int f = 0; f < free.Length; f++)
        {
            double share = remaining * weights[free[f]] / weightSum;
            int floor = (int)Math.Floor(share);
            result[free[f]] = floor;
            assigned += floor;
            remainders[f] = share - floor;
        }

        // Largest remainders first; ties to the lower unit index, so plans are deterministic.
        var order = Enumerable.Range(0, free.Length).OrderByDescending(f => remainders[f]).ThenBy(f => f).ToArray();
        for (long extra = remaining - assigned, j = 0; extra > 0; extra--, j++)
        {
            result[free[order[j % order.Length]]]++;
        }
    }
}
