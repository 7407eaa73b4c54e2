using UNComp.Runtime.Models;

namespace UNComp.Runtime.Cache;

/// <summary>
/// The shape of a KV cache: an exact token capacity per (layer, unit). Units are laid out layer-major, then unit;
/// <see cref="Offset"/> is the prefix sum of capacity × head dim, in elements, into the keys buffer (and, equally,
/// the values buffer). The source generator emits the same numbers as constants.
/// </summary>
public sealed class KvCacheLayout
{
    private readonly int[] _capacity;
    private readonly long[] _offset;

    private KvCacheLayout(int layers, int unitsPerLayer, int queryHeadsPerUnit, int headDim, CacheGranularity granularity, int[] capacity, long[]? offsets = null)
    {
        Layers = layers;
        UnitsPerLayer = unitsPerLayer;
        QueryHeadsPerUnit = queryHeadsPerUnit;
        HeadDim = headDim;
        Granularity = granularity;
        _capacity = capacity;
        if (offsets is null)
        {
            offsets = new long[capacity.Length + 1];
            for (int i = 0; i < capacity.Length; i++)
            {
                offsets[i + 1] = offsets[i] + ((long)capacity[i] * headDim);
            }
        }

        _offset = offsets;
        foreach (int c in capacity)
        {
            MaxCapacity = Math.Max(MaxCapacity, c);
        }

        TotalCapacityTokens = capacity.Sum(c => (long)c);
    }

    /// <summary>Decoder layers.</summary>
    public int Layers { get; }

    /// <summary>Cache units per layer: KV heads (<see cref="CacheGranularity.KvHead"/>) or query heads.</summary>
    public int UnitsPerLayer { get; }

    /// <summary>Query heads that read one unit: the GQA group size for KvHead, 1 for QueryHead.</summary>
    public int QueryHeadsPerUnit { get; }

    /// <summary>Elements per key (and per value) vector.</summary>
    public int HeadDim { get; }

    /// <summary>What a unit is.</summary>
    public CacheGranularity Granularity { get; }

    /// <summary>Sum of all unit capacities, in tokens.</summary>
    public long TotalCapacityTokens { get; }

    /// <summary>Largest capacity of any unit.</summary>
    public int MaxCapacity { get; }

    /// <summary>Total elements of the keys buffer (equal to the values buffer).</summary>
    public long ElementsPerBuffer => _offset[^1];

    /// <summary>Bytes of keys + values at full capacity on CPU: Σ capacity × headDim × 2 × sizeof(float).</summary>
    public long Bytes => ElementsPerBuffer * 2 * sizeof(float);

    /// <summary>Token capacity of one unit.</summary>
    public int Capacity(int layer, int unit) => _capacity[Index(layer, unit)];

    /// <summary>Element offset of one unit into the keys (and values) buffer.</summary>
    public long Offset(int layer, int unit) => _offset[Index(layer, unit)];

    /// <summary>The KV head whose projections feed a unit.</summary>
    public int KvHeadOfUnit(int unit) => Granularity == CacheGranularity.KvHead ? unit : unit / QueryHeadsPerKvHead;

    /// <summary>The first query head that reads a unit (it is read by <see cref="QueryHeadsPerUnit"/> consecutive heads).</summary>
    public int FirstQueryHeadOfUnit(int unit) => unit * QueryHeadsPerUnit;

    /// <summary>Query heads per KV head of the model.</summary>
    public int QueryHeadsPerKvHead { get; private init; }

    internal int Index(int layer, int unit)
    {
        if ((uint)layer >= (uint)Layers)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in [0, {Layers}).");
        }

        if ((uint)unit >= (uint)UnitsPerLayer)
        {
            throw new ArgumentOutOfRangeException(nameof(unit), unit, $"unit must be in [0, {UnitsPerLayer}).");
        }

        return (layer * UnitsPerLayer) + unit;
    }

    /// <summary>Every unit holds <paramref name="maxTokens"/> tokens (the uncompressed cache).</summary>
    public static KvCacheLayout Full(ModelConfig config, int maxTokens, CacheGranularity granularity = CacheGranularity.KvHead)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        int units = UnitsOf(config, granularity);
        var caps = new int[units];
        Array.Fill(caps, maxTokens);
        return FromCapacities(config, Enumerable.Repeat(caps, config.NumLayers).ToArray(), granularity);
    }

    /// <summary>
    /// A layout with the given capacity per layer and unit. <paramref name="capacitiesPerLayer"/> must have one row
    /// per layer, each with one entry per unit (KV heads or query heads, by <paramref name="granularity"/>), all ≥ 1.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong row count, row length, a capacity below 1 or above the model's context.</exception>
    public static KvCacheLayout FromCapacities(ModelConfig config, int[][] capacitiesPerLayer, CacheGranularity granularity = CacheGranularity.KvHead)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(capacitiesPerLayer);
        int units = UnitsOf(config, granularity);
        if (capacitiesPerLayer.Length != config.NumLayers)
        {
            throw new ArgumentException($"expected {config.NumLayers} layers of capacities, got {capacitiesPerLayer.Length}.", nameof(capacitiesPerLayer));
        }

        var flat = new int[config.NumLayers * units];
        for (int l = 0; l < config.NumLayers; l++)
        {
            var row = capacitiesPerLayer[l] ?? throw new ArgumentException($"layer {l}: capacities are null.", nameof(capacitiesPerLayer));
            if (row.Length != units)
            {
                throw new ArgumentException($"layer {l}: expected {units} capacities ({granularity} units), got {row.Length}.", nameof(capacitiesPerLayer));
            }

            for (int u = 0; u < units; u++)
            {
                if (row[u] < 1)
                {
                    throw new ArgumentException($"layer {l}, unit {u}: capacity {row[u]} must be at least 1.", nameof(capacitiesPerLayer));
                }

                if (row[u] > config.MaxPositionEmbeddings)
                {
                    throw new ArgumentException($"layer {l}, unit {u}: capacity {row[u]} exceeds the model's context of {config.MaxPositionEmbeddings} tokens (max_position_embeddings); a unit can never hold more.", nameof(capacitiesPerLayer));
                }

                flat[(l * units) + u] = row[u];
            }
        }

        int perUnit = granularity == CacheGranularity.KvHead ? config.QueryHeadsPerKvHead : 1;
        return new KvCacheLayout(config.NumLayers, units, perUnit, config.HeadDim, granularity, flat)
        {
            QueryHeadsPerKvHead = config.QueryHeadsPerKvHead,
        };
    }

    /// <summary>
    /// A layout taken as given from a compiled buffer plan (the source generator emits both arrays): unit i (layer-major,
    /// then unit) holds <paramref name="capacities"/>[i] tokens and starts at element <paramref name="offsets"/>[i] of
    /// the keys (and values) buffer; the last offset is the buffer size. The offsets are used as they are, after a
    /// check that every unit fits before the next one starts.
    /// </summary>
    /// <param name="config">The model (layers, heads, head dim).</param>
    /// <param name="offsets">Element offset of every unit plus the buffer size: layers × units + 1 entries, non-decreasing.</param>
    /// <param name="capacities">Token capacity of every unit: layers × units entries, each ≥ 1.</param>
    /// <param name="granularity">What a unit is.</param>
    /// <exception cref="ArgumentException">Wrong lengths, a capacity below 1, or a unit overlapping the next.</exception>
    public static KvCacheLayout FromPlan(ModelConfig config, ReadOnlySpan<long> offsets, ReadOnlySpan<int> capacities, CacheGranularity granularity = CacheGranularity.KvHead)
    {
        ArgumentNullException.ThrowIfNull(config);
        int units = UnitsOf(config, granularity);
        int count = config.NumLayers * units;
        if (capacities.Length != count)
        {
            throw new ArgumentException($"expected {count} capacities ({config.NumLayers} layers × {units} {granularity} units), got {capacities.Length}.", nameof(capacities));
        }

        if (offsets.Length != count + 1)
        {
            throw new ArgumentException($"expected {count + 1} offsets (one per unit plus the buffer size), got {offsets.Length}.", nameof(offsets));
        }

        if (offsets[0] < 0)
        {
            throw new ArgumentException($"the first offset is {offsets[0]}; offsets must not be negative.", nameof(offsets));
        }

        for (int i = 0; i < count; i++)
        {
            if (capacities[i] < 1)
            {
                throw new ArgumentException($"layer {i / units}, unit {i % units}: capacity {capacities[i]} must be at least 1.", nameof(capacities));
            }

            if (offsets[i + 1] - offsets[i] < (long)capacities[i] * config.HeadDim)
            {
                throw new ArgumentException($"layer {i / units}, unit {i % units}: {capacities[i]} tokens × head dim {config.HeadDim} do not fit between offsets {offsets[i]} and {offsets[i + 1]}.", nameof(offsets));
            }
        }

        int perUnit = granularity == CacheGranularity.KvHead ? config.QueryHeadsPerKvHead : 1;
        return new KvCacheLayout(config.NumLayers, units, perUnit, config.HeadDim, granularity, capacities.ToArray(), offsets.ToArray())
        {
            QueryHeadsPerKvHead = config.QueryHeadsPerKvHead,
        };
    }

    /// <summary>
    /// The same units with <paramref name="tokens"/> more capacity each (decode headroom for a "grow" profile),
    /// laid out contiguously again.
    /// </summary>
    public KvCacheLayout WithHeadroom(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        if (tokens == 0)
        {
            return this;
        }

        return new KvCacheLayout(Layers, UnitsPerLayer, QueryHeadsPerUnit, HeadDim, Granularity, [.. _capacity.Select(c => c + tokens)])
        {
            QueryHeadsPerKvHead = QueryHeadsPerKvHead,
        };
    }

    /// <summary>Units per layer of a model at a granularity.</summary>
    public static int UnitsOf(ModelConfig config, CacheGranularity granularity)
    {
        ArgumentNullException.ThrowIfNull(config);
        return granularity == CacheGranularity.KvHead ? config.NumKeyValueHeads : config.NumAttentionHeads;
    }
}
