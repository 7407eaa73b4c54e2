namespace UNComp.Runtime.Gpu;

/// <summary>Arguments of one split-KV decode-attention launch (one layer, every unit, every batch row).</summary>
internal readonly record struct DecodeAttentionArgs
{
    public required ulong Q { get; init; }
    public required ulong NewK { get; init; }
    public required ulong NewV { get; init; }
    public required ulong ArenaK { get; init; }
    public required ulong ArenaV { get; init; }
    public required ulong UnitOffsets { get; init; }
    public required ulong Lengths { get; init; }
    public required ulong Slots { get; init; }
    public required ulong PartialO { get; init; }
    public required ulong PartialMl { get; init; }
    public required long SlotElements { get; init; }
    public required int TotalUnits { get; init; }
    public required int LayerUnit0 { get; init; }
    public required int UnitsPerLayer { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int QueryHeadsPerUnit { get; init; }
    public required int UnitsPerKvHead { get; init; }
    public required int HeadDim { get; init; }
    public required int Rows { get; init; }
    public required int Splits { get; init; }
    public required int Chunk { get; init; }
    public required float Scale { get; init; }
    public required DecodeAttentionKernel Kernel { get; init; }

    /// <summary>
    /// Fused RoPE (tensor-core kernel only; 0 = off): the fp32 q|k|v product rows. The kernel then rotates q and the
    /// new k itself (as <c>qkv_rope</c>) and writes q, k, v to <see cref="QOut"/>, <see cref="KOut"/>, <see cref="VOut"/>;
    /// <see cref="Q"/>, <see cref="NewK"/> and <see cref="NewV"/> are not read.
    /// </summary>
    public ulong Qkv { get; init; }

    /// <summary>Fused RoPE: the fp32 q|k|v bias, or 0.</summary>
    public ulong Bias { get; init; }

    /// <summary>Fused RoPE: each batch row's position (device ints).</summary>
    public ulong Positions { get; init; }

    /// <summary>Fused RoPE: the inverse frequencies (fp32, head dim / 2).</summary>
    public ulong InverseFrequencies { get; init; }

    /// <summary>Fused RoPE: where the rotated q rows go (bf16 [rows, heads · d]).</summary>
    public ulong QOut { get; init; }

    /// <summary>Fused RoPE: where the rotated new k rows go (bf16 [rows, kv heads · d]).</summary>
    public ulong KOut { get; init; }

    /// <summary>Fused RoPE: where the new v rows go (bf16 [rows, kv heads · d]).</summary>
    public ulong VOut { get; init; }
}

/// <summary>Where one layer's units live in the KV arena (for the prefill write and the decode append).</summary>
internal readonly record struct KvWriteArgs
{
    public required ulong ArenaK { get; init; }
    public required ulong ArenaV { get; init; }
    public required ulong Positions { get; init; }
    public required ulong Lengths { get; init; }
    public required ulong UnitOffsets { get; init; }
    public required ulong UnitCapacities { get; init; }
    public required long SlotElements { get; init; }
    public required long SlotTokens { get; init; }
    public required int TotalUnits { get; init; }
    public required int LayerUnit0 { get; init; }
    public required int UnitsPerLayer { get; init; }
    public required int KvHeads { get; init; }
    public required int UnitsPerKvHead { get; init; }
    public required int HeadDim { get; init; }
}

/// <summary>
/// What a selection passes to the prefill write (all optional, 0 = absent): the kept rows per unit and their counts,
/// the order list to reset, and the column sums to keep as accumulated scores (H2O).
/// </summary>
internal readonly record struct KvSelectedRows(ulong Keep, int KeepStride, ulong KeepLengths, ulong Order, ulong ColumnScores, ulong Accumulated);
