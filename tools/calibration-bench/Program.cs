using System.Diagnostics;
using System.Globalization;
using MathNet.Numerics.LinearAlgebra;
using UNComp.Runtime.Calibration;

// Times the eigen step and the covariance of one 128-dim head; prints ms per operation.
const int d = 128, tokens = 2048;
var rng = new Random(1);
var q = new float[tokens * d];
for (int i = 0; i < q.Length; i++)
{
    q[i] = (float)((rng.NextDouble() * 2) - 1) * (1 + (i % d / 16f));
}

var sigma = new double[d * d];
MatrixEntropy.Covariance(q, tokens, 1, d, 0, sigma);
Report("eigenvalues 128x128 float64 (SymmetricEigenvalues)", 1000, () => MatrixEntropy.Eigenvalues(sigma, d));
var matrix = Matrix<double>.Build.Dense(d, d, sigma);
Report("eigen decomposition 128x128 float64 (MathNet Evd)", 200, () => matrix.Evd(Symmetricity.Symmetric));
Report($"covariance {tokens}x{d} rows", 50, () => MatrixEntropy.Covariance(q, tokens, 1, d, 0, sigma));

static void Report(string name, int iterations, Action action)
{
    for (int i = 0; i < Math.Max(10, iterations / 10); i++)
    {
        action();
    }

    var clock = Stopwatch.StartNew();
    for (int i = 0; i < iterations; i++)
    {
        action();
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {clock.Elapsed.TotalMilliseconds / iterations:0.000} ms/op"));
}
