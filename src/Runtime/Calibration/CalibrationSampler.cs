namespace UNComp.Runtime.Calibration;

/// <summary>Seeded choice of N windows of T tokens from calibration documents.</summary>
public static class CalibrationSampler
{
    /// <summary>
    /// The documents are concatenated into one stream of S tokens. With T ≥ S there is one sample (the stream).
    /// Otherwise the stream is cut into ⌊S/T⌋ slots; when N ≤ slots, N distinct slots are drawn by a seeded
    /// shuffle, else N offsets are drawn uniformly (windows may overlap). Same input and seed → same samples.
    /// </summary>
    public static IReadOnlyList<int[]> Draw(IReadOnlyList<int[]> documents, int samples, int tokens, long seed)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        var stream = documents.SelectMany(d => d).ToArray();
        if (stream.Length == 0)
        {
            throw new InvalidDataException("The calibration data holds no tokens.");
        }

        if (tokens >= stream.Length)
        {
            return [stream];
        }

        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        int slots = stream.Length / tokens;
        var offsets = new List<int>(samples);
        if (samples <= slots)
        {
            var order = Enumerable.Range(0, slots).ToArray();
            for (int i = 0; i < samples; i++)
            {
                int j = rng.Next(i, slots);
                (order[i], order[j]) = (order[j], order[i]);
                offsets.Add(order[i] * tokens);
            }
        }
        else
        {
            for (int i = 0; i < samples; i++)
            {
                offsets.Add(rng.Next(0, stream.Length - tokens + 1));
            }
        }

        return offsets.Select(o => stream.AsSpan(o, tokens).ToArray()).ToArray();
    }
}
