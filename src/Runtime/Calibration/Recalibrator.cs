using UNComp.Runtime.Models;
using UNComp.Runtime.Profiles;

namespace UNComp.Runtime.Calibration;

/// <summary>
/// Re-measures entropies on new prompts and says how far a profile has drifted: per layer the Spearman rank
/// correlation of the query heads' entropy order, and the cache units whose group would change.
/// </summary>
public static class Recalibrator
{
    /// <summary>Measures <paramref name="samples"/> on <paramref name="model"/> and compares with <paramref name="profile"/>.</summary>
    /// <exception cref="ModelFingerprintMismatchException">The profile was made for another model.</exception>
    public static DriftReport Run(LlamaModel model, UncompProfile profile, IReadOnlyList<int[]> samples, string source,
        IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(profile);
        ModelFingerprint.EnsureMatches(profile, ModelFingerprint.Compute(model), profile.Name, model.Directory);
        var cal = profile.Calibration;
        var options = new CalibrationOptions
        {
            Samples = samples.Count,
            Tokens = samples.Max(s => s.Length),
            Seed = cal.Seed,
            Entropy = new EntropyOptions(cal.TruncationK, cal.Elbow),
            Matrix = cal.Matrix,
            PostRope = cal.PostRope,
        };
        var calibrator = new Calibrator(model, options);
        var measurements = calibrator.Measure(samples, progress, cancellationToken);
        var updated = calibrator.Plan(measurements, samples, profile.Name, source, PlanOptionsFrom(profile));
        return Compare(profile, updated);
    }

    /// <summary>Compares a profile with one re-planned from new measurements (same model and settings).</summary>
    public static DriftReport Compare(UncompProfile profile, UncompProfile updated)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(updated);
        if (profile.Layers.Count != updated.Layers.Count)
        {
            throw new ArgumentException($"The profiles have {profile.Layers.Count} and {updated.Layers.Count} layers.", nameof(updated));
        }

        var layers = profile.Layers.Zip(updated.Layers, (a, b) =>
            new LayerDrift(a.Layer, Spearman(a.Entropy, b.Entropy), a.Groups, b.Groups)).ToArray();
        return new DriftReport(layers, updated);
    }

    /// <summary>The planning options a profile was built with (alignment 16; the authors' budget mode is not recorded).</summary>
    public static PlanOptions PlanOptionsFrom(UncompProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var c = profile.Compression;
        return new PlanOptions
        {
            GroupCount = c.GroupCount,
            Granularity = c.Granularity,
            MeanBudget = c.MeanBudget,
            GroupWeights = c.GroupWeights,
            Window = c.Window,
            PoolKernel = c.PoolKernel,
            Decode = c.Decode,
            HiddenStates = c.HiddenStates.Enabled,
            Epsilon = c.HiddenStates.Epsilon,
            MinKeep = c.HiddenStates.MinKeep,
            MaxTokens = c.HiddenStates.MaxTokens,
            KeepWindow = c.HiddenStates.KeepWindow,
        };
    }

    /// <summary>Spearman rank correlation with average ranks for ties; 1 when either side is constant and both equal, else 0 for a constant side.</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count || a.Count == 0)
        {
            throw new ArgumentException("Spearman needs two non-empty lists of equal length.", nameof(b));
        }

        var ra = Ranks(a);
        var rb = Ranks(b);
        double ma = ra.Average(), mb = rb.Average();
        double cov = 0, va = 0, vb = 0;
        for (int i = 0; i < ra.Length; i++)
        {
            cov += (ra[i] - ma) * (rb[i] - mb);
            va += (ra[i] - ma) * (ra[i] - ma);
            vb += (rb[i] - mb) * (rb[i] - mb);
        }

        if (va == 0 || vb == 0)
        {
            return va == vb ? 1.0 : 0.0;
        }

        return cov / Math.Sqrt(va * vb);
    }

    private static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && values[order[j + 1]] == values[order[i]])
            {
                j++;
            }

            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++)
            {
                ranks[order[k]] = rank;
            }

            i = j + 1;
        }

        return ranks;
    }
}
