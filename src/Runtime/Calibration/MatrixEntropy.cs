using System.Numerics.Tensors;

namespace UNComp.Runtime.Calibration;

/// <summary>
/// Truncated matrix entropy of one attention head (uncomp-method.md §1), in float64:
/// centre the rows, scale each row to unit length, Σ = ZᵀZ/L, Σ ← Σ/tr(Σ) + 1e-10·I, eigenvalues descending,
/// H_k = −Σ_{i≤k} λ_i ln λ_i.
/// </summary>
public static class MatrixEntropy
{
    /// <summary>Lower bound of a row norm before division (as torch's F.normalize).</summary>
    public const double RowNormEpsilon = 1e-12;

    /// <summary>Ridge added to the diagonal after trace normalisation.</summary>
    public const double Ridge = 1e-10;

    /// <summary>
    /// Writes the trace-normalised covariance (plus ridge) of one head into <paramref name="covariance"/> (d×d, row-major).
    /// </summary>
    /// <param name="queries">Row-major [tokens × heads × headDim] values of one prompt and one layer.</param>
    /// <param name="tokens">Number of rows L.</param>
    /// <param name="heads">Heads interleaved in <paramref name="queries"/>.</param>
    /// <param name="headDim">d.</param>
    /// <param name="head">The head to measure.</param>
    /// <param name="covariance">Destination of d·d values.</param>
    /// <remarks>
    /// Memory is bounded by d² + 2d doubles whatever L is: the rows are read twice (mean, then rank-1 updates of
    /// the upper triangle), never copied.
    /// </remarks>
    public static void Covariance(ReadOnlySpan<float> queries, int tokens, int heads, int headDim, int head, Span<double> covariance)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(headDim, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(head);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(head, heads);
        if (queries.Length < (long)tokens * heads * headDim)
        {
            throw new ArgumentException($"queries holds {queries.Length} values; [tokens {tokens} × heads {heads} × headDim {headDim}] needs {(long)tokens * heads * headDim}.", nameof(queries));
        }

        int d = headDim;
        if (covariance.Length < d * d)
        {
            throw new ArgumentException($"covariance needs {d * d} values, got {covariance.Length}.", nameof(covariance));
        }

        var mean = new double[d];
        var row = new double[d];
        int stride = heads * d;
        for (int t = 0; t < tokens; t++)
        {
            var x = queries.Slice(t * stride + head * d, d);
            for (int i = 0; i < d; i++)
            {
                mean[i] += x[i];
            }
        }

        for (int i = 0; i < d; i++)
        {
            mean[i] /= tokens;
        }

        var sigma = covariance[..(d * d)];
        sigma.Clear();
        for (int t = 0; t < tokens; t++)
        {
            var x = queries.Slice(t * stride + head * d, d);
            for (int i = 0; i < d; i++)
            {
                row[i] = x[i] - mean[i];
            }

            double norm = Math.Max(Math.Sqrt(TensorPrimitives.SumOfSquares<double>(row)), RowNormEpsilon);
            TensorPrimitives.Divide(row, norm, row);
            for (int i = 0; i < d; i++)
            {
                // Upper triangle only (i..d); mirrored below.
                var target = sigma.Slice(i * d + i, d - i);
                TensorPrimitives.MultiplyAdd(row.AsSpan(i), row[i], target, target);
            }
        }

        FinishCovariance(sigma, tokens, d);
    }

    /// <summary>
    /// Turns the upper triangle of Σ_t z_t z_tᵀ (z_t the centred, unit-length rows) into the trace-normalised covariance
    /// plus ridge, mirrored to the full d×d matrix: the part of <see cref="Covariance"/> after the row sums (the GPU
    /// calibration computes the sums on the device and finishes here).
    /// </summary>
    /// <param name="sigma">d×d row-major; the upper triangle (j ≥ i) holds the sums on entry.</param>
    /// <param name="tokens">Rows summed.</param>
    /// <param name="d">Head dimension.</param>
    public static void FinishCovariance(Span<double> sigma, int tokens, int d)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sigma.Length, d * d);
        double trace = 0;
        for (int i = 0; i < d; i++)
        {
            for (int j = i; j < d; j++)
            {
                sigma[i * d + j] /= tokens;
            }

            trace += sigma[i * d + i];
        }

        // A zero trace (every centred row zero, e.g. L = 1) leaves Σ = 0: the spectrum is then the ridge alone.
        double scale = trace > 0 ? 1.0 / trace : 0.0;
        for (int i = 0; i < d; i++)
        {
            for (int j = i; j < d; j++)
            {
                double v = sigma[i * d + j] * scale;
                sigma[i * d + j] = v;
                sigma[j * d + i] = v;
            }

            sigma[i * d + i] += Ridge;
        }
    }

    /// <summary>Eigenvalues of a symmetric d×d matrix (row-major), sorted descending (<see cref="SymmetricEigenvalues"/>).</summary>
    public static double[] Eigenvalues(ReadOnlySpan<double> symmetric, int d) => SymmetricEigenvalues.Compute(symmetric, d);

    /// <summary>H_k = −Σ_{i≤k} λ_i ln λ_i over the first k of descending eigenvalues; non-positive λ contribute 0.</summary>
    public static double TruncatedEntropy(ReadOnlySpan<double> eigenDescending, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int n = Math.Min(k, eigenDescending.Length);
        double h = 0;
        for (int i = 0; i < n; i++)
        {
            double l = eigenDescending[i];
            if (l > 0)
            {
                h -= l * Math.Log(l);
            }
        }

        return h;
    }

    /// <summary>Ĥ = H / ln d (d ≥ 2; d = 1 gives 0).</summary>
    public static double Normalize(double entropy, int d) => d > 1 ? entropy / Math.Log(d) : 0.0;

    /// <summary>Effective rank exp(H_k).</summary>
    public static double EffectiveRank(double entropy) => Math.Exp(entropy);

    /// <summary>
    /// Elbow of a descending spectrum (Kneedle on the normalised curve: the point farthest below the chord from the
    /// first to the last eigenvalue). Returns how many eigenvalues lie before the elbow point (≥ 1): for
    /// [0.4, 0.3, 0.2, 0.02, 0.02, …] the elbow is the first 0.02 and the count is 3.
    /// </summary>
    public static int ElbowCount(ReadOnlySpan<double> eigenDescending)
    {
        int n = eigenDescending.Length;
        if (n <= 2)
        {
            return n == 0 ? 1 : n;
        }

        double first = eigenDescending[0], last = eigenDescending[n - 1];
        double range = first - last;
        if (range <= 0)
        {
            return n;
        }

        int best = 0;
        double bestGap = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            double x = (double)i / (n - 1);
            double y = (eigenDescending[i] - last) / range;
            // Chord from (0, 1) to (1, 0) is y = 1 − x; a convex decreasing curve lies below it.
            double gap = (1 - x) - y;
            if (gap > bestGap)
            {
                bestGap = gap;
                best = i;
            }
        }

        return Math.Max(1, best);
    }

    /// <summary>All entropy figures of one head from its descending spectrum.</summary>
    public static HeadEntropy FromSpectrum(ReadOnlySpan<double> eigenDescending, EntropyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int d = eigenDescending.Length;
        int k = options.EffectiveK(d);
        if (options.Elbow)
        {
            k = Math.Min(k, ElbowCount(eigenDescending));
        }

        double hk = TruncatedEntropy(eigenDescending, k);
        double full = TruncatedEntropy(eigenDescending, d);
        return new HeadEntropy(hk, Normalize(hk, d), Normalize(full, d), k);
    }

    /// <summary>Entropy of one head of a [tokens × heads × headDim] query block.</summary>
    public static HeadEntropy Measure(ReadOnlySpan<float> queries, int tokens, int heads, int headDim, int head, EntropyOptions options)
    {
        var sigma = new double[headDim * headDim];
        Covariance(queries, tokens, heads, headDim, head, sigma);
        return FromSpectrum(Eigenvalues(sigma, headDim), options);
    }
}
