using System.Buffers.Binary;
using System.Security.Cryptography;

namespace UNComp.Cli.Bench;

/// <summary>
/// Benchmark prompt ids from SplitMix64, so another language can make the same prompt from (length, vocab, seed):
/// state += 0x9E3779B97F4A7C15; z = mix(state); id = z mod vocab (tools/bench/cpu_peer.py does the same).
/// </summary>
internal static class BenchPrompt
{
    /// <summary>Description written into the report.</summary>
    public const string Description = "splitmix64(seed): state += 0x9E3779B97F4A7C15; z = state; z = (z ^ z>>30)·0xBF58476D1CE4E5B9; z = (z ^ z>>27)·0x94D049BB133111EB; id = (z ^ z>>31) mod vocab";

    /// <summary><paramref name="length"/> ids in [0, <paramref name="vocab"/>).</summary>
    public static int[] Ids(int length, int vocab, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocab, 1);
        var ids = new int[length];
        ulong state = (ulong)(uint)seed;
        for (int i = 0; i < length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            ids[i] = (int)(z % (ulong)vocab);
        }

        return ids;
    }

    /// <summary>Hex SHA-256 of the ids as little-endian int32.</summary>
    public static string Sha256(IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new byte[ids.Count * 4];
        for (int i = 0; i < ids.Count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), ids[i]);
        }

        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }
}
