namespace UNComp.Serving;

/// <summary>Counters of an <see cref="OpenAiServer"/> (thread-safe snapshots).</summary>
public sealed class ServerStatistics
{
    private long _completed;
    private long _cancelled;
    private long _rejected;

    /// <summary>Generations that ran to their end (stop, eos or length).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Requests whose client went away before the generation ended (waiting or running).</summary>
    public long Cancelled => Interlocked.Read(ref _cancelled);

    /// <summary>Requests refused with a 4xx status.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    internal void AddCompleted() => Interlocked.Increment(ref _completed);

    internal void AddCancelled() => Interlocked.Increment(ref _cancelled);

    internal void AddRejected() => Interlocked.Increment(ref _rejected);
}
