using System.Buffers;

namespace UNComp.Runtime.Compression;

/// <summary>Top-k selection that returns indices in original (increasing) order; ties go to the lower index.</summary>
public static class TopKSelection
{
    /// <summary>
    /// Writes the indices of the <c>destination.Length</c> largest scores, in increasing index order. Among equal
    /// scores the lower index wins; NaN ranks below every number.
    /// </summary>
    /// <exception cref="ArgumentException">More indices requested than scores exist.</exception>
    public static void SelectInOrder(ReadOnlySpan<float> scores, Span<int> destination)
    {
        int n = scores.Length;
        int k = destination.Length;
        if (k > n)
        {
            throw new ArgumentException($"cannot select {k} indices from {n} scores.", nameof(destination));
        }

        if (k == 0)
        {
            return;
        }

        if (k == n)
        {
            for (int i = 0; i < n; i++)
            {
                destination[i] = i;
            }

            return;
        }

        int[] order = ArrayPool<int>.Shared.Rent(n);
        float[] keys = ArrayPool<float>.Shared.Rent(n);
        try
        {
            for (int i = 0; i < n; i++)
            {
                order[i] = i;
                keys[i] = float.IsNaN(scores[i]) ? float.NegativeInfinity : scores[i];
            }

            Array.Sort(order, 0, n, new DescendingScoreComparer(keys));
            order.AsSpan(0, k).CopyTo(destination);
            destination.Sort();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<float>.Shared.Return(keys);
        }
    }

    /// <summary>Index of the smallest score (the lowest index among ties; NaN counts as smallest).</summary>
    public static int ArgMin(ReadOnlySpan<float> scores)
    {
        if (scores.IsEmpty)
        {
            throw new ArgumentException("no scores to choose from.", nameof(scores));
        }

        int best = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (float.IsNaN(scores[i]))
            {
                return i;
            }

            if (scores[i] < scores[best])
            {
                best = i;
            }
        }

        return best;
    }

    private sealed class DescendingScoreComparer(float[] keys) : IComparer<int>
    {
        public int Compare(int x, int y)
        {
            int c = keys[y].CompareTo(keys[x]);
            return c != 0 ? c : x.CompareTo(y);
        }
    }
}
