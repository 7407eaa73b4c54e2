using System.Diagnostics;

internal static class BenchText
{
    /// <summary>The text in chunks of about <paramref name="size"/> characters, each ending after a line end (as golden_ids.py chunks it).</summary>
    public static List<string> Chunks(string text, int size)
    {
        var chunks = new List<string>();
        int start = 0;
        while (start < text.Length)
        {
            int end = start + size >= text.Length ? -1 : text.IndexOf('\n', start + size);
            end = end < 0 ? text.Length : end + 1;
            chunks.Add(text[start..end]);
            start = end;
        }

        return chunks;
    }

    /// <summary>One warm-up pass (its seconds are "first"), then the best of 3 timed passes and the token total.</summary>
    public static (double BestSeconds, double FirstSeconds, long Tokens) Measure(List<string> chunks, Func<string, int> encode)
    {
        var firstWatch = Stopwatch.StartNew();
        foreach (var chunk in chunks)
        {
            encode(chunk);
        }

        double first = firstWatch.Elapsed.TotalSeconds;
        double best = double.MaxValue;
        long tokens = 0;
        for (int round = 0; round < 3; round++)
        {
            var watch = Stopwatch.StartNew();
            tokens = 0;
            foreach (var chunk in chunks)
            {
                tokens += encode(chunk);
            }

            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        return (best, first, tokens);
    }
}
