namespace UNComp.Serving;

/// <summary>
/// Admits requests to the engine: <see cref="ServerOptions.GenerationSlots"/> run at once (1 on CPU; a batched
/// engine's batch slots later), up to <see cref="ServerOptions.MaxQueuedRequests"/> wait in arrival order, and
/// any further request is refused at once (the server answers 429). A waiting request that is cancelled (client
/// gone) leaves the queue.
/// </summary>
internal sealed class GenerationQueue : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly int _capacity;
    private int _admitted;

    public GenerationQueue(int slots, int maxQueued)
    {
        _slots = new SemaphoreSlim(slots, slots);
        _capacity = slots + maxQueued;
        Slots = slots;
    }

    /// <summary>Generations that may run at once.</summary>
    public int Slots { get; }

    /// <summary>Requests running or waiting.</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Requests running now.</summary>
    public int Running => Slots - _slots.CurrentCount;

    /// <summary>Joins the queue; null when it is full. Dispose the lease when the generation ends.</summary>
    public Ticket? TryJoin()
    {
        if (Interlocked.Increment(ref _admitted) > _capacity)
        {
            Interlocked.Decrement(ref _admitted);
            return null;
        }

        return new Ticket(this);
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>A place in the queue; <see cref="WaitForSlotAsync"/> then holds a slot until disposed.</summary>
    internal sealed class Ticket(GenerationQueue queue) : IDisposable
    {
        private bool _holdsSlot;
        private bool _disposed;

        public async Task WaitForSlotAsync(CancellationToken cancellationToken)
        {
            await queue._slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            _holdsSlot = true;
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_holdsSlot)
            {
                queue._slots.Release();
            }

            Interlocked.Decrement(ref queue._admitted);
        }
    }
}
