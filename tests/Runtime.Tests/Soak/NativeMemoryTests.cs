namespace UNComp.Runtime.Tests.Soak;

/// <summary>
/// Tests that read process-wide memory figures (<see cref="Cache.KvCache.NativeBytesInUse"/>, the managed heap,
/// RSS) run alone: parallel tests would allocate caches of their own in between.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeMemoryTests
{
    public const string Name = "native memory";
}
