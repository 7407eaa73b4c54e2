namespace UNComp.Runtime.Tokenization;

/// <summary>
/// Key of the BPE merge table: the ids of the left and right symbols. The hash mixes both ids; a plain
/// <c>long</c> key would hash to <c>left ^ right</c> and collide badly on large vocabularies.
/// </summary>
internal readonly struct MergePair(int left, int right) : IEquatable<MergePair>
{
    private readonly long _value = ((long)left << 32) | (uint)right;

    public bool Equals(MergePair other) => _value == other._value;

    public override bool Equals(object? obj) => obj is MergePair other && Equals(other);

    public override int GetHashCode() => (int)((ulong)(_value * unchecked((long)0x9E3779B97F4A7C15)) >> 32);
}
