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

    private KvCacheLayout(int layers, int unitsPerLayer, int queryHeadsPerUnit, int headDim, CacheGranularity granularity, int[] capacity)
    {
        Layers = layers;
        UnitsPerLayer = unitsPerLayer;
        QueryHeadsPerUnit = queryHeadsPerUnit;
        HeadDim = headDim;
        Granularity = granularity;
        _capacity = capacity;
        _offset = new long[capacity.Length + 1];
        for (int i = 0; i < capacity.Length; i++)
        {
            _offset[i + 1] = _offset[i] + ((long)capacity[i] * headDim);
            MaxCapacity = Math.Max(MaxCapacity, capacity[i]);
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

    /// <summary>Units per layer of a model at a granularity.</summary>
    public static int UnitsOf(ModelConfig config, CacheGranularity granularity)
    {
        ArgumentNullException.ThrowIfNull(config);
        return granularity == CacheGranularity.KvHead ? config.NumKeyValueHeads : config.NumAttentionHeads;
    }
}
