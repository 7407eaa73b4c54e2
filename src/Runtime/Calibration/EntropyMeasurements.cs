namespace UNComp.Runtime.Calibration;

/// <summary>
/// Entropies of every sample, layer and query head, collected during calibration (N·L·H doubles: 100 samples of
/// Llama-2-7B are 800 KB). Keeping the per-sample values lets votes be recounted for any group count.
/// </summary>
public sealed class EntropyMeasurements
{
    private readonly List<double[][]> entropy = [];
    private readonly List<double[]> scores = [];
    private double[][] pendingEntropy;
    private double[] pendingScores;
    private bool[] pendingSet;

    /// <summary>Creates an empty collection for a model shape.</summary>
    public EntropyMeasurements(int layers, int heads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        Layers = layers;
        Heads = heads;
        pendingEntropy = new double[layers][];
        pendingScores = new double[layers];
        pendingSet = new bool[layers];
    }

    /// <summary>Layers per sample.</summary>
    public int Layers { get; }

    /// <summary>Query heads per layer.</summary>
    public int Heads { get; }

    /// <summary>Completed samples.</summary>
    public int Samples => entropy.Count;

    /// <summary>Records one layer of the sample in progress.</summary>
    public void Record(int layer, LayerEntropy measured)
    {
        ArgumentNullException.ThrowIfNull(measured);
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, Layers);
        if (measured.Heads.Count != Heads)
        {
            throw new ArgumentException($"Layer {layer} reported {measured.Heads.Count} heads; expected {Heads}.", nameof(measured));
        }

        pendingEntropy[layer] = measured.Heads.Select(h => h.NormalizedEntropy).ToArray();
        pendingScores[layer] = measured.Score;
        pendingSet[layer] = true;
    }

    /// <summary>Closes the sample in progress; every layer must have been recorded.</summary>
    public void CompleteSample()
    {
        int missing = Array.IndexOf(pendingSet, false);
        if (missing >= 0)
        {
            throw new InvalidOperationException($"Layer {missing} was not measured for sample {Samples}; the prefill observer must see every layer.");
        }

        entropy.Add(pendingEntropy);
        scores.Add(pendingScores);
        pendingEntropy = new double[Layers][];
        pendingScores = new double[Layers];
        pendingSet = new bool[Layers];
    }

    /// <summary>Adds a complete sample directly (tests, imports).</summary>
    public void AddSample(IReadOnlyList<double[]> entropyPerLayer, IReadOnlyList<double> scorePerLayer)
    {
        ArgumentNullException.ThrowIfNull(entropyPerLayer);
        ArgumentNullException.ThrowIfNull(scorePerLayer);
        if (entropyPerLayer.Count != Layers || scorePerLayer.Count != Layers || entropyPerLayer.Any(e => e.Length != Heads))
        {
            throw new ArgumentException($"A sample needs {Layers} layers of {Heads} entropies and {Layers} scores.", nameof(entropyPerLayer));
        }

        entropy.Add(entropyPerLayer.Select(e => (double[])e.Clone()).ToArray());
        scores.Add(scorePerLayer.ToArray());
    }

    /// <summary>Ĥ of one sample and layer.</summary>
    public IReadOnlyList<double> Entropy(int sample, int layer) => entropy[sample][layer];

    /// <summary>Per-layer summaries (mean entropy, mean score, quantile votes for <paramref name="groups"/> labels).</summary>
    public IReadOnlyList<LayerSummary> Summarize(int groups)
    {
        if (Samples == 0)
        {
            throw new InvalidOperationException("No calibration sample was completed.");
        }

        var result = new LayerSummary[Layers];
        for (int l = 0; l < Layers; l++)
        {
            var mean = new double[Heads];
            double score = 0;
            for (int s = 0; s < Samples; s++)
            {
                for (int h = 0; h < Heads; h++)
                {
                    mean[h] += entropy[s][l][h];
                }

                score += scores[s][l];
            }

            for (int h = 0; h < Heads; h++)
            {
                mean[h] /= Samples;
            }

            int layer = l;
            var votes = HeadGroupPlanner.Votes(entropy.Select(e => e[layer]), Heads, groups);
            result[l] = new LayerSummary(mean, score / Samples, votes);
        }

        return result;
    }
}
