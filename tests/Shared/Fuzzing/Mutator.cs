using System.Text;

namespace UNComp.Testing.Fuzzing;

/// <summary>
/// A seeded mutation fuzzer for text formats (JSON headers, configs, tokenizers, profiles): each case applies one
/// to four mutations to a seed input: bit flips, interesting bytes, truncations, chunk deletes/duplicates, splices
/// from another seed, numeric edge values in place of a number, type swaps, string edge values, and deep nesting.
/// The same (seed, case index) always gives the same bytes, so a failure is reproducible from its case number.
/// </summary>
internal sealed class Mutator
{
    private static readonly string[] EdgeNumbers =
    [
        "0", "-0", "-1", "1", "2", "7", "255", "65536", "2147483647", "2147483648", "-2147483648", "-2147483649",
        "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "99999999999999999999999999", "1e308", "-1e308", "1e309", "1e-400", "1.5", "0.5", "-0.0", "1E+2", "3.4028236e38",
        "NaN", "Infinity", "-Infinity", "0x10", "01", "1e", "-", "1.", ".5",
    ];

    private static readonly string[] EdgeValues =
    [
        "null", "true", "false", "{}", "[]", "\"\"", "\"x\"", "[null]", "{\"\":null}", "[[]]", "\"\\ud800\"", "\"\\u0000\"",
        "\"" + new string('a', 5000) + "\"", "[1,2,3]", "{\"a\":1}",
    ];

    private static readonly byte[] InterestingBytes = "\0\u007f\"{}[],:-0123456789eE.\\ \n"u8.ToArray();

    private readonly IReadOnlyList<byte[]> _seeds;

    public Mutator(IReadOnlyList<byte[]> seeds)
    {
        if (seeds.Count == 0)
        {
            throw new ArgumentException("at least one seed input is needed.", nameof(seeds));
        }

        _seeds = seeds;
    }

    /// <summary>The bytes of case <paramref name="index"/> under <paramref name="seed"/>, and the mutations applied.</summary>
    public (byte[] Bytes, string Description) Case(int seed, long index)
    {
        var rng = new Random(CaseSeed(seed, index));
        var data = new List<byte>(_seeds[rng.Next(_seeds.Count)]);
        var applied = new StringBuilder();
        int count = 1 + rng.Next(4);
        for (int m = 0; m < count; m++)
        {
            applied.Append(m == 0 ? string.Empty : "+").Append(Mutate(data, rng));
        }

        return ([.. data], applied.ToString());
    }

    /// <summary>
    /// A process-independent seed for one case (SplitMix64 of seed and index): HashCode.Combine is randomised per
    /// process, so a case number would not reproduce in another run.
    /// </summary>
    public static int CaseSeed(int seed, long index)
    {
        ulong z = ((ulong)(uint)seed << 40) ^ (ulong)index;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7fffffff);
    }

    private string Mutate(List<byte> data, Random rng)
    {
        int kind = rng.Next(12);
        if (data.Count == 0)
        {
            data.AddRange(_seeds[rng.Next(_seeds.Count)]);
            return "reseed";
        }

        int at = rng.Next(data.Count);
        switch (kind)
        {
            case 0:
                data[at] ^= (byte)(1 << rng.Next(8));
                return "bitflip";
            case 1:
                data[at] = InterestingBytes[rng.Next(InterestingBytes.Length)];
                return "byte";
            case 2:
                data.RemoveRange(at, data.Count - at);
                return "truncate";
            case 3:
            {
                int len = Math.Min(data.Count - at, 1 + rng.Next(64));
                data.RemoveRange(at, len);
                return "delete";
            }

            case 4:
            {
                int len = Math.Min(data.Count - at, 1 + rng.Next(64));
                data.InsertRange(rng.Next(data.Count), data.GetRange(at, len));
                return "duplicate";
            }

            case 5:
            {
                byte[] other = _seeds[rng.Next(_seeds.Count)];
                int from = rng.Next(Math.Max(1, other.Length));
                int len = Math.Min(other.Length - from, 1 + rng.Next(256));
                data.InsertRange(at, other.AsSpan(from, Math.Max(0, len)).ToArray());
                return "splice";
            }

            case 6:
            case 7:
                return ReplaceToken(data, rng, IsNumberByte, EdgeNumbers[rng.Next(EdgeNumbers.Length)]) ? "number" : "number-miss";
            case 8:
                return ReplaceValue(data, rng, EdgeValues[rng.Next(EdgeValues.Length)]) ? "value" : "value-miss";
            case 9:
            {
                // Deep nesting: a value wrapped in thousands of arrays (or an unclosed run of brackets).
                int depth = 64 << rng.Next(8);
                bool closed = rng.Next(2) == 0;
                var open = Enumerable.Repeat((byte)'[', depth);
                var close = closed ? Enumerable.Repeat((byte)']', depth) : [];
                int end = Math.Min(data.Count, at + 1);
                data.InsertRange(end, close);
                data.InsertRange(at, open);
                return closed ? "nest" : "nest-open";
            }

            case 10:
            {
                // Swap two chunks: keeps the bytes but breaks structure and ordering.
                int len = Math.Min(data.Count - at, 1 + rng.Next(32));
                var chunk = data.GetRange(at, len);
                data.RemoveRange(at, len);
                data.InsertRange(rng.Next(data.Count + 1), chunk);
                return "move";
            }

            default:
                data.Insert(at, (byte)rng.Next(256));
                return "insert";
        }
    }

    private static bool IsNumberByte(byte b) => (b >= '0' && b <= '9') || b == '-' || b == '.' || b == 'e' || b == 'E' || b == '+';

    /// <summary>Replaces a run of number characters near a random place with <paramref name="replacement"/>.</summary>
    private static bool ReplaceToken(List<byte> data, Random rng, Func<byte, bool> inToken, string replacement)
    {
        int start = rng.Next(data.Count);
        for (int probe = 0; probe < data.Count; probe++)
        {
            int i = (start + probe) % data.Count;
            if (data[i] >= '0' && data[i] <= '9')
            {
                int s = i, e = i;
                while (s > 0 && inToken(data[s - 1]))
                {
                    s--;
                }

                while (e + 1 < data.Count && inToken(data[e + 1]))
                {
                    e++;
                }

                data.RemoveRange(s, e - s + 1);
                data.InsertRange(s, Encoding.UTF8.GetBytes(replacement));
                return true;
            }
        }

        return false;
    }

    /// <summary>Replaces the value after a random ':' (up to the next ',' or '}' at the same depth) with another.</summary>
    private static bool ReplaceValue(List<byte> data, Random rng, string replacement)
    {
        int start = rng.Next(data.Count);
        for (int probe = 0; probe < data.Count; probe++)
        {
            int i = (start + probe) % data.Count;
            if (data[i] != ':')
            {
                continue;
            }

            int depth = 0, e = i + 1;
            bool inString = false;
            for (; e < data.Count; e++)
            {
                byte b = data[e];
                if (inString)
                {
                    if (b == '\\')
                    {
                        e++;
                    }
                    else if (b == '"')
                    {
                        inString = false;
                    }

                    continue;
                }

                if (b == '"')
                {
                    inString = true;
                }
                else if (b == '[' || b == '{')
                {
                    depth++;
                }
                else if (b == ']' || b == '}')
                {
                    if (depth == 0)
                    {
                        break;
                    }

                    depth--;
                }
                else if (b == ',' && depth == 0)
                {
                    break;
                }
            }

            e = Math.Min(e, data.Count);
            data.RemoveRange(i + 1, e - (i + 1));
            data.InsertRange(i + 1, Encoding.UTF8.GetBytes(replacement));
            return true;
        }

        return false;
    }
}
