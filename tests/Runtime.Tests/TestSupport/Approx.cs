namespace UNComp.Runtime.Tests.TestSupport;

internal static class Approx
{
    public static void Equal(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(expected[i] - actual[i]);
            if (!(diff <= worst))
            {
                worst = diff;
                at = i;
            }
        }

        Assert.True(worst <= tolerance, $"{what}: max |Δ| = {worst:E3} at {at} (expected {(at >= 0 ? expected[at] : 0)}, actual {(at >= 0 ? actual[at] : 0)}), tolerance {tolerance:E1}");
    }

    public static float[] Random(int n, int seed, float scale = 1)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (float)((r.NextDouble() * 2) - 1) * scale;
        }

        return a;
    }
}
