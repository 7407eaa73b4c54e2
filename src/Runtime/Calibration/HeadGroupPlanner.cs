namespace UNComp.Runtime.Calibration;

/// <summary>
/// Head groups by quantile votes (uncomp-method.md §2): per sample, heads are ranked by entropy and labelled with
/// their quantile bucket; over all samples the votes per label decide the groups greedily.
/// </summary>
public static class HeadGroupPlanner
{
    /// <summary>
    /// Sizes n_0..n_{G−1} that split <paramref name="units"/> as evenly as possible; when G does not divide the
    /// count, the lower (lower-entropy, smaller-budget) groups take the extra unit, which errs on less memory.
    /// </summary>
    public static int[] GroupSizes(int units, int groups)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        if (units < groups)
        {
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{groups} groups need at least {groups} cache units per layer, the layer has {units}; choose fewer groups or --granularity queryHead.");
        }

        var sizes = new int[groups];
        for (int g = 0; g < groups; g++)
        {
            sizes[g] = units / groups + (g < units % groups ? 1 : 0);
        }

        return sizes;
    }

    /// <summary>
    /// Quantile label of every head on one sample: heads sorted by entropy ascending (ties: lower index first),
    /// the first n_0 get label 0, the next n_1 label 1, …
    /// </summary>
    public static int[] QuantileLabels(ReadOnlySpan<double> entropy, int groups)
    {
        var sizes = GroupSizes(entropy.Length, groups);
        var values = entropy.ToArray();
        var order = Enumerable.Range(0, values.Length).OrderBy(h => values[h]).ThenBy(h => h).ToArray();
        var labels = new int[values.Length];
        int position = 0;
        for (int g = 0; g < groups; g++)
        {
            for (int i = 0; i < sizes[g]; i++)
            {
                labels[order[position++]] = g;
            }
        }

        return labels;
    }

    /// <summary>Adds one sample's labels to the vote table votes[head][label].</summary>
    public static void AddVotes(int[][] votes, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(votes);
        for (int h = 0; h < labels.Length; h++)
        {
            votes[h][labels[h]]++;
        }
    }

    /// <summary>An empty vote table for <paramref name="units"/> units and <paramref name="groups"/> labels.</summary>
    public static int[][] EmptyVotes(int units, int groups) =>
        Enumerable.Range(0, units).Select(_ => new int[groups]).ToArray();

    /// <summary>Vote table of query heads over all samples (one entropy vector per sample).</summary>
    public static int[][] Votes(IEnumerable<double[]> entropyPerSample, int heads, int groups)
    {
        ArgumentNullException.ThrowIfNull(entropyPerSample);
        var votes = EmptyVotes(heads, groups);
        foreach (var sample in entropyPerSample)
        {
            AddVotes(votes, QuantileLabels(sample, groups));
        }

        return votes;
    }

    /// <summary>
    /// Greedy assignment: for label v = 0..G−1, from the units still free take the n_v with the most votes for v
    /// (ties: lower unit index). Returns the group of every unit.
    /// </summary>
    public static int[] Assign(IReadOnlyList<int[]> votes, int groups)
    {
        ArgumentNullException.ThrowIfNull(votes);
        int units = votes.Count;
        var sizes = GroupSizes(units, groups);
        var result = new int[units];
        var free = new bool[units];
        Array.Fill(free, true);
        for (int v = 0; v < groups; v++)
        {
            var chosen = Enumerable.Range(0, units).Where(u => free[u])
                .OrderByDescending(u => votes[u][v]).ThenBy(u => u).Take(sizes[v]);
            foreach (int u in chosen)
            {
                result[u] = v;
                free[u] = false;
            }
        }

        return result;
    }

    /// <summary>
    /// Votes of KV heads: each KV head sums the votes of the query heads that share it (query head h belongs to
    /// KV head h / (H / KV), the Llama/Mistral/Qwen2 layout).
    /// </summary>
    public static int[][] KvHeadVotes(IReadOnlyList<int[]> queryVotes, int kvHeads)
    {
        ArgumentNullException.ThrowIfNull(queryVotes);
        int heads = queryVotes.Count;
        CheckGqa(heads, kvHeads);
        int groupSize = heads / kvHeads;
        int labels = heads == 0 ? 0 : queryVotes[0].Length;
        var result = EmptyVotes(kvHeads, labels);
        for (int h = 0; h < heads; h++)
        {
            for (int v = 0; v < labels; v++)
            {
                result[h / groupSize][v] += queryVotes[h][v];
            }
        }

        return result;
    }

    /// <summary>Score of every KV head: the sum over its query heads (e.g. of Ĥ).</summary>
    public static double[] KvHeadScores(ReadOnlySpan<double> queryScores, int kvHeads)
    {
        CheckGqa(queryScores.Length, kvHeads);
        int groupSize = queryScores.Length / kvHeads;
        var result = new double[kvHeads];
        for (int h = 0; h < queryScores.Length; h++)
        {
            result[h / groupSize] += queryScores[h];
        }

        return result;
    }

    private static void CheckGqa(int heads, int kvHeads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kvHeads, 1);
        if (heads % kvHeads != 0)
        {
            throw new ArgumentException($"{heads} query heads cannot be shared evenly by {kvHeads} KV heads.", nameof(kvHeads));
        }
    }
}
