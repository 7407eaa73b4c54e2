using System.Globalization;

namespace UNComp.Runtime.Serving;

/// <summary>
/// Continuous batching over an <see cref="IBatchEngine"/> (vLLM / llama.cpp server style): requests wait in arrival
/// order; between two decode steps waiting requests are prefilled into free slots (up to
/// <see cref="BatchSchedulerOptions.PrefillTokensPerStep"/> prompt tokens per step), then one decode step advances
/// every active slot by one token. Each request samples with its own <see cref="Generation.TokenSampler"/> (its own
/// temperature, top-k/top-p and seed), ends at its own end-of-sequence ids, token limit or the slot's sequence limit,
/// and a cancelled request leaves the queue or frees its slot before the next step. A step whose rows all decode
/// greedily asks the engine for the argmax ids only (<see cref="IBatchEngine.TryDecodeGreedy"/>). One thread runs the engine.
/// </summary>
/// <remarks>
/// An engine failure in a prefill fails that request; a failure in a decode step fails every request of that step
/// (their slots are released); later requests run normally.
/// </remarks>
public sealed class BatchScheduler : IDisposable
{
    private readonly IBatchEngine _engine;
    private readonly BatchSchedulerOptions _options;
    private readonly Lock _lock = new();
    private readonly Queue<ScheduledGeneration> _waiting = new();
    private readonly ScheduledGeneration?[] _active;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly Thread _thread;
    private readonly float[] _logits;
    private readonly int[] _next;
    private readonly int _vocab;
    private int _admitted;
    private int _running;
    private long _steps;
    private volatile bool _stopping;

    /// <summary>Starts the scheduler's thread over <paramref name="engine"/>.</summary>
    public BatchScheduler(IBatchEngine engine, BatchSchedulerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        options ??= new BatchSchedulerOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxWaiting);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PrefillTokensPerStep, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(engine.Slots, 1);
        _engine = engine;
        _options = options;
        _vocab = engine.VocabSize;
        _active = new ScheduledGeneration?[engine.Slots];
        _logits = new float[(long)engine.Slots * _vocab];
        _next = new int[engine.Slots];
        _thread = new Thread(Run) { IsBackground = true, Name = "uncomp batch scheduler" };
        _thread.Start();
    }

    /// <summary>The engine.</summary>
    public IBatchEngine Engine => _engine;

    /// <summary>Generations that run at once (the engine's slots).</summary>
    public int Slots => _active.Length;

    /// <summary>Requests that may wait beyond the slots.</summary>
    public int MaxWaiting => _options.MaxWaiting;

    /// <summary>Requests waiting or generating.</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Requests generating now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Decode steps run so far.</summary>
    public long Steps => Interlocked.Read(ref _steps);

    /// <summary>
    /// Queues <paramref name="request"/>; returns null when <see cref="Slots"/> + <see cref="MaxWaiting"/> requests are
    /// already admitted. <paramref name="cancellationToken"/> cancels the generation (see <see cref="ScheduledGeneration.Cancel"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The request is empty or longer than the engine's sequence limit.</exception>
    /// <exception cref="ObjectDisposedException">The scheduler was disposed.</exception>
    public ScheduledGeneration? TrySubmit(BatchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_stopping, this);
        int prompt = request.PromptIds.Count;
        if (prompt < 1 || request.MaxNewTokens < 1 || prompt >= _engine.MaxSequenceLength)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"the request has {prompt} prompt tokens and MaxNewTokens {request.MaxNewTokens}; both must be at least 1 and the prompt shorter than the engine's sequence limit of {_engine.MaxSequenceLength}."),
                nameof(request));
        }

        var generation = new ScheduledGeneration(request, _vocab, _wake.Set);
        lock (_lock)
        {
            if (_admitted >= Slots + _options.MaxWaiting)
            {
                return null;
            }

            _admitted++;
            _waiting.Enqueue(generation);
        }

        generation.CancelWhen(cancellationToken);
        _wake.Set();
        return generation;
    }

    /// <summary>Stops the thread; requests still waiting or generating end as cancelled.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
        if (_options.OwnsEngine)
        {
            _engine.Dispose();
        }
    }

    private void Run()
    {
        var slots = new int[_active.Length];
        var tokens = new int[_active.Length];
        while (true)
        {
            _wake.Reset();
            if (_stopping)
            {
                CancelEverything();
                return;
            }

            try
            {
                ReleaseCancelled();
                Admit();
                if (Running == 0)
                {
                    bool idle;
                    lock (_lock)
                    {
                        idle = _waiting.Count == 0;
                    }

                    if (idle)
                    {
                        _wake.Wait();
                    }

                    continue;
                }

                DecodeStep(slots, tokens);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Engine failures are handled per request above; this is a fault of the scheduler itself. Fail what is
                // running rather than leave its readers waiting forever, and keep serving.
                for (int slot = 0; slot < _active.Length; slot++)
                {
                    if (_active[slot] is { } g)
                    {
                        _active[slot] = null;
                        Interlocked.Decrement(ref _running);
                        TryRelease(slot);
                        Finish(g, BatchFinishReason.Faulted, e);
                    }
                }
            }
        }
    }

    private void Admit()
    {
        int budget = _options.PrefillTokensPerStep;
        bool first = true;
        for (int slot = FreeSlot(); slot >= 0; slot = FreeSlot())
        {
            ScheduledGeneration? g;
            lock (_lock)
            {
                if (!_waiting.TryPeek(out g) || (!first && g.Request.PromptIds.Count > budget))
                {
                    return;
                }

                _waiting.Dequeue();
            }

            if (g.IsCancellationRequested)
            {
                Finish(g, BatchFinishReason.Cancelled);
                continue;
            }

            first = false;
            budget -= g.Request.PromptIds.Count;
            var row = _logits.AsSpan(0, _vocab);
            try
            {
                _engine.Prefill(slot, [.. g.Request.PromptIds], g.Request.MaxNewTokens, row, g.CancellationToken);
            }
            catch (Exception e)
            {
                bool cancelled = e is OperationCanceledException && g.IsCancellationRequested;
                TryRelease(slot);
                Finish(g, cancelled ? BatchFinishReason.Cancelled : BatchFinishReason.Faulted, cancelled ? null : e);
                continue;
            }

            g.Slot = slot;
            _active[slot] = g;
            Interlocked.Increment(ref _running);
            Accept(g, row);
        }
    }

    private void DecodeStep(int[] slots, int[] tokens)
    {
        int rows = 0;
        bool allGreedy = true;
        for (int slot = 0; slot < _active.Length; slot++)
        {
            if (_active[slot] is { } g)
            {
                slots[rows] = slot;
                tokens[rows] = g.LastToken;
                allGreedy &= g.Request.Sampling.IsGreedy;
                rows++;
            }
        }

        bool chosen;
        try
        {
            chosen = allGreedy && _engine.TryDecodeGreedy(slots.AsSpan(0, rows), tokens.AsSpan(0, rows), _next.AsSpan(0, rows));
            if (!chosen)
            {
                _engine.Decode(slots.AsSpan(0, rows), tokens.AsSpan(0, rows), _logits.AsSpan(0, rows * _vocab));
            }
        }
        catch (Exception e)
        {
            for (int i = 0; i < rows; i++)
            {
                Retire(_active[slots[i]]!, BatchFinishReason.Faulted, e);
            }

            return;
        }

        Interlocked.Increment(ref _steps);
        for (int i = 0; i < rows; i++)
        {
            var g = _active[slots[i]]!;
            if (g.IsCancellationRequested)
            {
                Retire(g, BatchFinishReason.Cancelled);
            }
            else if (chosen)
            {
                Accept(g, _next[i]);
            }
            else
            {
                Accept(g, _logits.AsSpan(i * _vocab, _vocab));
            }
        }
    }

    /// <summary>Samples the next token of <paramref name="g"/> and retires it when that ends it.</summary>
    private void Accept(ScheduledGeneration g, ReadOnlySpan<float> logits)
    {
        int token;
        try
        {
            token = g.Sampler.Sample(logits);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Retire(g, BatchFinishReason.Faulted, e);
            return;
        }

        Accept(g, token);
    }

    private void Accept(ScheduledGeneration g, int token)
    {
        var reason = g.Accept(token, _engine.MaxSequenceLength);
        if (reason != BatchFinishReason.None)
        {
            Retire(g, reason);
        }
    }

    private void ReleaseCancelled()
    {
        foreach (var g in _active)
        {
            if (g is not null && g.IsCancellationRequested)
            {
                Retire(g, BatchFinishReason.Cancelled);
            }
        }
    }

    private void CancelEverything()
    {
        foreach (var g in _active)
        {
            if (g is not null)
            {
                Retire(g, BatchFinishReason.Cancelled);
            }
        }

        lock (_lock)
        {
            while (_waiting.TryDequeue(out var g))
            {
                Finish(g, BatchFinishReason.Cancelled);
            }
        }
    }

    /// <summary>Frees the slot of an active generation and ends it.</summary>
    private void Retire(ScheduledGeneration g, BatchFinishReason reason, Exception? fault = null)
    {
        int slot = g.Slot;
        _active[slot] = null;
        Interlocked.Decrement(ref _running);
        TryRelease(slot);
        Finish(g, reason, fault);
    }

    private void Finish(ScheduledGeneration g, BatchFinishReason reason, Exception? fault = null)
    {
        // Leave the admission count first, so a caller that submits again as soon as this one ends is not refused.
        lock (_lock)
        {
            _admitted--;
        }

        g.Complete(reason, fault);
    }

    private void TryRelease(int slot)
    {
        try
        {
            _engine.Release(slot);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Releasing is bookkeeping; a failing engine already failed the request, the slot is reused by the next prefill.
        }
    }

    private int FreeSlot()
    {
        for (int slot = 0; slot < _active.Length; slot++)
        {
            if (_active[slot] is null)
            {
                return slot;
            }
        }

        return -1;
    }
}
