namespace UNComp.Runtime.Calibration;

/// <summary>Layer stages and hidden-state keep lengths (uncomp-method.md §2, "Layer stages", "Hidden-state keep lengths").</summary>
public static class StagePlanner
{
    /// <summary>Default ε of the stage split.</summary>
    public const double DefaultEpsilon = 1.0;

    /// <summary>Default m (tokens kept by the last stage) for a 4096-token model.</summary>
    public const int DefaultMinKeep = 1536;

    /// <summary>
    /// Stages from layer scores: walking from layer 0, a new stage starts at layer l wherever s_l − s_{l−1} &lt; −ε.
    /// Returns inclusive (first, last) layer ranges.
    /// </summary>
    public static IReadOnlyList<(int First, int Last)> Split(ReadOnlySpan<double> scores, double epsilon = DefaultEpsilon)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scores.Length, 1);
        var stages = new List<(int, int)>();
        int first = 0;
        for (int l = 1; l < scores.Length; l++)
        {
            if (scores[l] - scores[l - 1] < -epsilon)
            {
                stages.Add((first, l - 1));
                first = l;
            }
        }

        stages.Add((first, scores.Length - 1));
        return stages;
    }

    /// <summary>
    /// keep(c) = m + ⌊(T_max − m)/(C−1)⌋·(C−1−c) for c = 0..C−1; a single stage keeps T_max.
    /// Llama-2 (T_max 4096, m 1536, C 5): 4096, 3456, 2816, 2176, 1536.
    /// </summary>
    public static int[] KeepLengths(int stageCount, int maxTokens, int minKeep = DefaultMinKeep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stageCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minKeep, 1);
        if (maxTokens < minKeep)
        {
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, $"maxTokens must be >= minKeep ({minKeep}).");
        }

        if (stageCount == 1)
        {
            return [maxTokens];
        }

        int step = (maxTokens - minKeep) / (stageCount - 1);
        return Enumerable.Range(0, stageCount).Select(c => minKeep + step * (stageCount - 1 - c)).ToArray();
    }

    /// <summary>Ratio mode: m = ⌊ratio · T_max⌋ (e.g. 0.375 = 1536/4096), then <see cref="KeepLengths(int, int, int)"/>.</summary>
    public static int[] KeepLengthsByRatio(int stageCount, int maxTokens, double minKeepRatio)
    {
        if (!(minKeepRatio > 0 && minKeepRatio <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(minKeepRatio), minKeepRatio, "The ratio must lie in (0, 1].");
        }

        return KeepLengths(stageCount, maxTokens, Math.Max(1, (int)Math.Floor(minKeepRatio * maxTokens)));
    }
}
