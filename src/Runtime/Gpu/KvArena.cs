using UNComp.Runtime.Cache;
using UNComp.Runtime.Cuda;

namespace UNComp.Runtime.Gpu;

/// <summary>
/// The device KV cache, sized exactly from a <see cref="KvCacheLayout"/> (a compiled profile's plan): keys and
/// values each <c>maxBatch × ElementsPerBuffer</c> bf16 elements, slot-major, units at the layout's offsets. Per
/// (slot, unit) lengths and per cached row positions live on the device beside them, so kernels read and update
/// them without host round trips; recency comes from positions, and eviction overwrites a row in place.
/// </summary>
public sealed class KvArena : IDisposable
{
    /// <summary>Allocates the arena for <paramref name="maxBatch"/> sequence slots.</summary>
    public KvArena(CudaDevice device, KvCacheLayout layout, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        Layout = layout;
        MaxBatch = maxBatch;
        TotalUnits = layout.Layers * layout.UnitsPerLayer;
        SlotElements = layout.ElementsPerBuffer;
        SlotTokens = layout.TotalCapacityTokens;
        var offsets = new long[TotalUnits];
        var caps = new int[TotalUnits];
        for (int l = 0; l < layout.Layers; l++)
        {
            for (int u = 0; u < layout.UnitsPerLayer; u++)
            {
                offsets[(l * layout.UnitsPerLayer) + u] = layout.Offset(l, u);
                caps[(l * layout.UnitsPerLayer) + u] = layout.Capacity(l, u);
            }
        }

        long elements = maxBatch * SlotElements;
        var owned = new List<IDisposable>();
        try
        {
            Keys = Track(owned, device.Allocate(elements * 2, $"the KV cache keys ({maxBatch} × {SlotElements:N0} bf16)"));
            Values = Track(owned, device.Allocate(elements * 2, $"the KV cache values ({maxBatch} × {SlotElements:N0} bf16)"));
            Positions = Track(owned, device.Allocate(maxBatch * SlotTokens * 4, "the KV cache positions"));
            Lengths = Track(owned, device.Allocate((long)maxBatch * TotalUnits * 4, "the KV cache lengths"));
            UnitOffsets = Track(owned, device.Allocate(TotalUnits * 8L, "the KV cache unit offsets"));
            UnitCapacities = Track(owned, device.Allocate(TotalUnits * 4L, "the KV cache unit capacities"));
        }
        catch
        {
            foreach (var o in owned)
            {
                o.Dispose();
            }

            throw;
        }

        UnitOffsets.CopyFromHost<long>(offsets);
        UnitCapacities.CopyFromHost<int>(caps);
        Lengths.Fill(0);
        Positions.Fill(0);
    }

    /// <summary>The layout every slot follows.</summary>
    public KvCacheLayout Layout { get; }

    /// <summary>Sequence slots.</summary>
    public int MaxBatch { get; }

    /// <summary>Units over all layers.</summary>
    public int TotalUnits { get; }

    /// <summary>Key (and value) elements per slot: the plan's KV element count.</summary>
    public long SlotElements { get; }

    /// <summary>Cached token rows per slot over all units.</summary>
    public long SlotTokens { get; }

    /// <summary>bf16 keys [maxBatch × SlotElements].</summary>
    public DeviceBuffer Keys { get; }

    /// <summary>bf16 values [maxBatch × SlotElements].</summary>
    public DeviceBuffer Values { get; }

    /// <summary>int positions [maxBatch × SlotTokens].</summary>
    public DeviceBuffer Positions { get; }

    /// <summary>int lengths [maxBatch × TotalUnits].</summary>
    public DeviceBuffer Lengths { get; }

    /// <summary>int64 element offset of each unit within a slot.</summary>
    public DeviceBuffer UnitOffsets { get; }

    /// <summary>int capacity of each unit.</summary>
    public DeviceBuffer UnitCapacities { get; }

    /// <summary>Bytes of keys and values: 2 × maxBatch × SlotElements × 2 (bf16).</summary>
    public long KvBytes => Keys.Bytes + Values.Bytes;

    /// <summary>Bytes of the bookkeeping beside the KV data (positions, lengths, offsets, capacities).</summary>
    public long MetadataBytes => Positions.Bytes + Lengths.Bytes + UnitOffsets.Bytes + UnitCapacities.Bytes;

    /// <summary>Reads the filled rows of every unit of <paramref name="slot"/> (synchronises).</summary>
    public int[] ReadLengths(int slot)
    {
        CheckSlot(slot);
        var result = new int[TotalUnits];
        Lengths.CopyToHost<int>(result, (long)slot * TotalUnits * 4);
        return result;
    }

    /// <summary>Reads the cached positions of one unit of <paramref name="slot"/> (synchronises).</summary>
    public int[] ReadPositions(int slot, int layer, int unit)
    {
        CheckSlot(slot);
        int length = ReadLengths(slot)[(layer * Layout.UnitsPerLayer) + unit];
        var result = new int[length];
        long row0 = (slot * SlotTokens) + (Layout.Offset(layer, unit) / Layout.HeadDim);
        Positions.CopyToHost<int>(result, row0 * 4);
        return result;
    }

    /// <summary>Reads the cached keys (or values) of one unit of <paramref name="slot"/> as fp32 [length × headDim] (synchronises).</summary>
    public float[] ReadRows(int slot, int layer, int unit, bool values)
    {
        CheckSlot(slot);
        int length = ReadLengths(slot)[(layer * Layout.UnitsPerLayer) + unit];
        var bits = new ushort[length * Layout.HeadDim];
        (values ? Values : Keys).CopyToHost<ushort>(bits, ((slot * SlotElements) + Layout.Offset(layer, unit)) * 2);
        return Array.ConvertAll(bits, Bf16Convert.ToSingle);
    }

    /// <summary>Queues a copy of everything <paramref name="source"/> caches into <paramref name="destination"/> (a forked sequence).</summary>
    public void CopySlot(int source, int destination)
    {
        CheckSlot(source);
        CheckSlot(destination);
        if (source == destination)
        {
            return;
        }

        Keys.CopyFrom(Keys, source * SlotElements * 2, destination * SlotElements * 2, SlotElements * 2);
        Values.CopyFrom(Values, source * SlotElements * 2, destination * SlotElements * 2, SlotElements * 2);
        Positions.CopyFrom(Positions, source * SlotTokens * 4, destination * SlotTokens * 4, SlotTokens * 4);
        Lengths.CopyFrom(Lengths, (long)source * TotalUnits * 4, (long)destination * TotalUnits * 4, TotalUnits * 4L);
    }

    internal void CheckSlot(int slot) => ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)MaxBatch, nameof(slot));

    private static DeviceBuffer Track(List<IDisposable> owned, DeviceBuffer buffer)
    {
        owned.Add(buffer);
        return buffer;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Keys.Dispose();
        Values.Dispose();
        Positions.Dispose();
        Lengths.Dispose();
        UnitOffsets.Dispose();
        UnitCapacities.Dispose();
    }
}
