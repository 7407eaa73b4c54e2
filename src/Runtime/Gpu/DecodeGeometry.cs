using UNComp.Runtime.Cache;
using UNComp.Runtime.Cuda;

namespace UNComp.Runtime.Gpu;

/// <summary>
/// How one decode step splits each unit's cache for split-KV attention at a batch size: enough blocks to fill
/// the GPU over all units and rows (about eight per multiprocessor for the CUDA-core kernel, one wave of two per
/// multiprocessor for the tensor-core kernel, whose blocks hold 232 registers a thread) and chunks a multiple of 32
/// tokens (neither kernel's shared memory depends on the chunk). Fixed per batch size so a captured graph stays
/// valid as lengths grow.
/// </summary>
/// <param name="Splits">Chunks per unit (grid x).</param>
/// <param name="Chunk">Tokens per chunk.</param>
public readonly record struct DecodeGeometry(int Splits, int Chunk)
{
    /// <summary>Most tokens one CUDA-core decode-attention block handles unless a larger minimum chunk is asked for.</summary>
    public const int MaxChunk = 256;

    /// <summary>Most tokens one tensor-core decode-attention block handles unless a larger minimum chunk is asked for.</summary>
    public const int TensorCoreMaxChunk = 4096;

    /// <summary>The geometry for <paramref name="batch"/> rows over <paramref name="layout"/>'s largest unit (+1 for the step's own token).</summary>
    public static DecodeGeometry For(CudaDevice device, KvCacheLayout layout, int batch, int minChunk = 0, DecodeAttentionKernel kernel = DecodeAttentionKernel.CudaCores)
    {
        ArgumentNullException.ThrowIfNull(device);
        return For(device.Multiprocessors, layout, batch, minChunk, kernel);
    }

    /// <summary>
    /// The geometry for a device with <paramref name="multiprocessors"/> SMs. A <paramref name="minChunk"/> above the
    /// automatic chunk (rounded up to 32 tokens) gives fewer, longer blocks — never more splits than the automatic
    /// geometry, so the partial buffers sized for it always fit. The tensor-core kernel never has more splits than the
    /// CUDA-core kernel at the same arguments (fewer blocks per multiprocessor, longer chunks allowed).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1 or <paramref name="minChunk"/> is negative.</exception>
    public static DecodeGeometry For(int multiprocessors, KvCacheLayout layout, int batch, int minChunk = 0, DecodeAttentionKernel kernel = DecodeAttentionKernel.CudaCores)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfLessThan(multiprocessors, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(minChunk);
        bool tensor = kernel == DecodeAttentionKernel.TensorCores;
        int perSm = tensor ? 2 : 8, maxChunk = tensor ? TensorCoreMaxChunk : MaxChunk;
        int tokens = layout.MaxCapacity + 1;
        int target = Math.Max(1, (perSm * multiprocessors) + (layout.UnitsPerLayer * batch) - 1) / (layout.UnitsPerLayer * batch);
        // Chunks of at most maxChunk tokens keep each block short and many blocks in flight (memory parallelism).
        int splits = Math.Clamp(target, Math.Max(1, (tokens + maxChunk - 1) / maxChunk), Math.Max(1, (tokens + 63) / 64));
        int chunk = ChunkFor(tokens, splits);
        int asked = (minChunk + 31) / 32 * 32;
        if (asked > chunk)
        {
            chunk = Math.Min(asked, (tokens + 31) / 32 * 32);
        }

        return new DecodeGeometry((tokens + chunk - 1) / chunk, chunk);
    }

    private static int ChunkFor(int tokens, int splits) => ((tokens + splits - 1) / splits + 31) / 32 * 32;
}
