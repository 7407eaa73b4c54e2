namespace UNComp.Runtime.Calibration;

/// <summary>
/// Per-unit KV budgets from a mean budget S̄ and group weights (uncomp-method.md §2, "Budgets").
/// </summary>
/// <remarks>
/// <para>Ideal budgets are b_g = S̄ · ŵ_g with ŵ_g = w_g · U / Σ_g n_g w_g, so Σ_units b = U · S̄ exactly.
/// Budgets must be integers, and the target total is T = round(U · S̄) (exact for integer S̄).</para>
/// <para><b>Aligned:</b> when each group can take the multiple of the alignment just below or just above its
/// ideal so that the total is exactly T, budgets stay ≥ window and never decrease with the group, the
/// combination closest to the ideal (Σ n_g |a_g − b_g|; ties: the first in floor-before-ceil order from group 0)
/// is used. S̄ = 384, G = 2 gives 256 and 512; S̄ = 128 gives 80 and 176.</para>
/// <para><b>Repair:</b> otherwise every unit starts at max(window, ⌊b_g⌋) and the difference to T is settled one
/// token per unit, starting with the units of the highest group (then lower unit index): +1 while short,
/// −1 (never below window or a lower group's budget) while over. Units of one group may then differ by one
/// token; the mean is exactly T / U.</para>
/// </remarks>
public static class BudgetPlanner
{
    /// <summary>Default alignment in tokens.</summary>
    public const int DefaultAlignment = 16;

    /// <summary>
    /// The default weights: an arithmetic ramp symmetric around 1, w_g = 2(g+1)/(G+1)
    /// (G = 2: 2/3, 4/3; G = 4: 0.4, 0.8, 1.2, 1.6).
    /// </summary>
    public static double[] ArithmeticWeights(int groups)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        return Enumerable.Range(0, groups).Select(g => 2.0 * (g + 1) / (groups + 1)).ToArray();
    }

    /// <summary>Budgets for one layer whose units belong to <paramref name="groups"/>.</summary>
    /// <param name="groups">Group per unit, in [0, weights.Length).</param>
    /// <param name="meanBudget">S̄ in tokens per unit, window included; at least <paramref name="window"/>.</param>
    /// <param name="weights">w_g per group (positive, non-decreasing).</param>
    /// <param name="window">Lower bound of every budget.</param>
    /// <param name="alignment">Preferred multiple (16); 1 disables alignment.</param>
    public static BudgetPlan Plan(ReadOnlySpan<int> groups, double meanBudget, IReadOnlyList<double> weights, int window, int alignment = DefaultAlignment)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfLessThan(alignment, 1);
        int units = groups.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(units, 1);
        if (!(meanBudget >= window))
        {
            throw new ArgumentOutOfRangeException(nameof(meanBudget), meanBudget, $"The mean budget must be at least the window ({window}).");
        }

        int g0 = weights.Count;
        var sizes = new int[g0];
        foreach (int g in groups)
        {
            if (g < 0 || g >= g0)
            {
                throw new ArgumentOutOfRangeException(nameof(groups), g, $"Group ids must lie in [0, {g0}).");
            }

            sizes[g]++;
        }

        double weighted = 0;
        for (int g = 0; g < g0; g++)
        {
            if (!(weights[g] > 0))
            {
                throw new ArgumentOutOfRangeException(nameof(weights), weights[g], "Group weights must be positive.");
            }

            weighted += sizes[g] * weights[g];
        }

        var ideal = new double[g0];
        for (int g = 0; g < g0; g++)
        {
            ideal[g] = meanBudget * weights[g] * units / weighted;
        }

        long target = (long)Math.Round(meanBudget * units, MidpointRounding.AwayFromZero);
        var aligned = alignment > 1 ? AlignedGroupBudgets(ideal, sizes, target, window, alignment) : null;
        var budgets = new int[units];
        if (aligned is not null)
        {
            for (int u = 0; u < units; u++)
            {
                budgets[u] = aligned[groups[u]];
            }

            return new BudgetPlan(budgets, true);
        }

        for (int u = 0; u < units; u++)
        {
            budgets[u] = Math.Max(window, (int)Math.Floor(ideal[groups[u]]));
        }

        Repair(budgets, groups, target, window);
        bool allAligned = alignment > 1 && budgets.All(b => b % alignment == 0);
        return new BudgetPlan(budgets, allAligned);
    }

    /// <summary>
    /// The authors' released two-group budgets for argument M: [⌊1.5M⌋/2, ⌊1.5M⌋] (M = 512 → 384, 768; the
    /// mean over equal halves is 576, not M). For parity runs only.
    /// </summary>
    public static (int Low, int High) AuthorsCompatible(int m)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 1);
        int high = (int)Math.Floor(1.5 * m);
        return (high / 2, high);
    }

    /// <summary>Budgets per unit in the authors' compatibility mode (G = 2 only).</summary>
    public static BudgetPlan PlanAuthorsCompatible(ReadOnlySpan<int> groups, int m)
    {
        var (low, high) = AuthorsCompatible(m);
        var budgets = new int[groups.Length];
        for (int u = 0; u < groups.Length; u++)
        {
            budgets[u] = groups[u] switch
            {
                0 => low,
                1 => high,
                _ => throw new ArgumentOutOfRangeException(nameof(groups), groups[u], "The authors' budgets exist for two groups only."),
            };
        }

        return new BudgetPlan(budgets, budgets.All(b => b % DefaultAlignment == 0));
    }

    private static int[]? AlignedGroupBudgets(double[] ideal, int[] sizes, long target, int window, int alignment)
    {
        // Dynamic programme over the non-empty groups in order; state = (running total, value of the last group).
        var used = Enumerable.Range(0, ideal.Length).Where(g => sizes[g] > 0).ToArray();
        var frontier = new Dictionary<(long Total, int Last), (double Cost, int[] Choice)> { [(0, 0)] = (0, []) };
        foreach (int g in used)
        {
            int down = (int)(Math.Floor(ideal[g] / alignment) * alignment);
            int up = (int)(Math.Ceiling(ideal[g] / alignment) * alignment);
            var options = down == up ? new[] { down } : new[] { down, up };
            var next = new Dictionary<(long Total, int Last), (double Cost, int[] Choice)>();
            foreach (var ((total, last), (cost, choice)) in frontier.OrderBy(e => e.Key.Total).ThenBy(e => e.Key.Last))
            {
                foreach (int a in options)
                {
                    if (a < window || a < last)
                    {
                        continue;
                    }

                    var key = (total + (long)sizes[g] * a, a);
                    double c = cost + sizes[g] * Math.Abs(a - ideal[g]);
                    if (key.Item1 > target)
                    {
                        continue;
                    }

                    if (!next.TryGetValue(key, out var existing) || c < existing.Cost - 1e-9)
                    {
                        next[key] = (c, [.. choice, a]);
                    }
                }
            }

            frontier = next;
        }

        var best = frontier.Where(e => e.Key.Total == target).OrderBy(e => e.Value.Cost).Select(e => e.Value.Choice).FirstOrDefault();
        if (best is null)
        {
            return null;
        }

        var result = new int[ideal.Length];
        for (int i = 0; i < used.Length; i++)
        {
            result[used[i]] = best[i];
        }

        return result;
    }

    private static void Repair(int[] budgets, ReadOnlySpan<int> groups, long target, int window)
    {
        var groupArray = groups.ToArray();
        var order = Enumerable.Range(0, budgets.Length).OrderByDescending(u => groupArray[u]).ThenBy(u => u).ToArray();
        long total = budgets.Sum(b => (long)b);
        while (total < target)
        {
            foreach (int u in order)
            {
                if (total == target)
                {
                    break;
                }

                budgets[u]++;
                total++;
            }
        }

        while (total > target)
        {
            bool changed = false;
            foreach (int u in order)
            {
                if (total == target)
                {
                    break;
                }

                int floor = window;
                for (int v = 0; v < budgets.Length; v++)
                {
                    if (groupArray[v] < groupArray[u])
                    {
                        floor = Math.Max(floor, budgets[v]);
                    }
                }

                if (budgets[u] > floor)
                {
                    budgets[u]--;
                    total--;
                    changed = true;
                }
            }

            if (!changed)
            {
                throw new InvalidOperationException($"Cannot reach a mean budget of {(double)target / budgets.Length} tokens with every budget >= window {window}.");
            }
        }
    }
}
