using System.Buffers.Binary;
using System.Text.Json;
using UNComp.Runtime.Calibration;
using Xunit.Abstractions;

namespace UNComp.Runtime.Tests.Calibration;

/// <summary>
/// Entropy parity with torch float64 (tools/fixtures/make_goldens.py): the post-RoPE query and key matrices of
/// the fixture model's golden prompts go through <see cref="MatrixEntropy"/>; eigenvalues and H_k for every k the
/// file lists must match to 1e-9 relative. Until the golden files exist the placeholder row says so.
/// </summary>
public class GoldenEntropyTests(ITestOutputHelper output)
{
    private const string Missing = "(no golden entropy files yet)";

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        string? root = Generation.GoldenParityTests.RepoRoot();
        string dir = root is null ? string.Empty : Path.Combine(root, "tests", "fixtures", "golden");
        var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "entropy.safetensors", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList() : [];
        files.ForEach(f => data.Add(f));
        if (files.Count == 0)
        {
            data.Add(Missing);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatrixEntropy_GoldenQueriesAndKeys_MatchTorchFloat64(string entropyFile)
    {
        if (entropyFile == Missing)
        {
            output.WriteLine("No tests/fixtures/golden/**/entropy.safetensors yet; entropy parity is checked once it exists.");
            return;
        }

        var entropy = RawSafetensors.Open(entropyFile);
        var queries = RawSafetensors.Open(Path.Combine(Path.GetDirectoryName(entropyFile)!, "queries.safetensors"));
        var ks = entropy.Int64("truncation_k");
        int compared = 0;
        double worst = 0;
        foreach (string prompt in queries.Names.Where(n => n.EndsWith(".q_post_rope", StringComparison.Ordinal)).Select(n => n[..n.IndexOf('.', StringComparison.Ordinal)]))
        {
            foreach (var (mat, tensor) in new[] { ("q", prompt + ".q_post_rope"), ("k", prompt + ".k_post_rope") })
            {
                if (!queries.Names.Contains(tensor) || !entropy.Names.Contains($"{prompt}.{mat}.entropy"))
                {
                    continue;
                }

                var shape = queries.Shape(tensor); // [layers, tokens, heads, d]
                var x = queries.Single(tensor);
                var expectedH = entropy.Double($"{prompt}.{mat}.entropy");          // [layers, heads, |ks|]
                var expectedLambda = entropy.Double($"{prompt}.{mat}.eigenvalues"); // [layers, heads, d]
                int layers = (int)shape[0], tokens = (int)shape[1], heads = (int)shape[2], d = (int)shape[3];
                var sigma = new double[d * d];
                for (int l = 0; l < layers; l++)
                {
                    var layer = x.AsSpan(l * tokens * heads * d, tokens * heads * d);
                    for (int h = 0; h < heads; h++)
                    {
                        MatrixEntropy.Covariance(layer, tokens, heads, d, h, sigma);
                        var lambda = MatrixEntropy.Eigenvalues(sigma, d);
                        for (int i = 0; i < d; i++)
                        {
                            Assert.True(Math.Abs(lambda[i] - expectedLambda[((l * heads) + h) * d + i]) <= 1e-12, $"{prompt} {mat} layer {l} head {h} λ{i}");
                        }

                        for (int j = 0; j < ks.Length; j++)
                        {
                            double expected = expectedH[((l * heads) + h) * ks.Length + j];
                            double actual = MatrixEntropy.TruncatedEntropy(lambda, (int)ks[j]);
                            double rel = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-300);
                            worst = Math.Max(worst, rel);
                            Assert.True(rel <= 1e-9, $"{prompt} {mat} layer {l} head {h} k={ks[j]}: {actual:R} vs torch {expected:R} (rel {rel:E2})");
                            compared++;
                        }
                    }
                }
            }
        }

        Assert.True(compared > 0, $"{entropyFile}: no q/k entropies found to compare.");
        output.WriteLine($"{compared} entropies matched torch float64; worst relative difference {worst:E2}.");
    }

    /// <summary>Minimal safetensors reader for F32/F64/I64 test data.</summary>
    private sealed class RawSafetensors
    {
        private readonly byte[] data;
        private readonly Dictionary<string, (string DType, long[] Shape, long Begin, long End)> entries = [];

        private RawSafetensors(byte[] bytes)
        {
            long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
            foreach (var e in doc.RootElement.EnumerateObject().Where(e => e.Name != "__metadata__"))
            {
                var offsets = e.Value.GetProperty("data_offsets");
                entries[e.Name] = (e.Value.GetProperty("dtype").GetString()!, e.Value.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray(),
                    offsets[0].GetInt64(), offsets[1].GetInt64());
            }

            data = bytes[(int)(8 + headerLength)..];
        }

        public IReadOnlyCollection<string> Names => entries.Keys;

        public static RawSafetensors Open(string path) => new(File.ReadAllBytes(path));

        public long[] Shape(string name) => entries[name].Shape;

        public float[] Single(string name) => Read<float>(name, "F32");

        public double[] Double(string name) => Read<double>(name, "F64");

        public long[] Int64(string name) => Read<long>(name, "I64");

        private T[] Read<T>(string name, string dtype)
            where T : unmanaged
        {
            var (type, _, begin, end) = entries[name];
            Assert.Equal(dtype, type);
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(data.AsSpan((int)begin, (int)(end - begin))).ToArray();
        }
    }
}
