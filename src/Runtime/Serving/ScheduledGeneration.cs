using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using UNComp.Runtime.Generation;

namespace UNComp.Runtime.Serving;

/// <summary>
/// One request inside a <see cref="BatchScheduler"/>: its generated ids arrive through <see cref="ReadTokensAsync"/>
/// as the scheduler samples them. <see cref="Cancel"/> (or the token given to <see cref="BatchScheduler.TrySubmit"/>)
/// takes it out of the queue, or frees its slot before the next decode step. Dispose when done reading: a
/// generation still running is cancelled.
/// </summary>
public sealed class ScheduledGeneration : IDisposable
{
    private readonly Channel<int> _tokens = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _cancel = new();
    private readonly Action _wake;
    private CancellationTokenRegistration _registration;
    private int _generated;
    private int _finish;

    internal ScheduledGeneration(BatchRequest request, int vocabSize, Action wake)
    {
        Request = request;
        Sampler = new TokenSampler(request.Sampling, vocabSize);
        _wake = wake;
    }

    /// <summary>The request.</summary>
    public BatchRequest Request { get; }

    /// <summary>Why it ended; <see cref="BatchFinishReason.None"/> while waiting or generating.</summary>
    public BatchFinishReason FinishReason => (BatchFinishReason)Volatile.Read(ref _finish);

    /// <summary>The engine failure when <see cref="FinishReason"/> is <see cref="BatchFinishReason.Faulted"/>.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>Tokens generated so far (including an end-of-sequence id).</summary>
    public int GeneratedTokens => Volatile.Read(ref _generated);

    /// <summary>Whether <see cref="Cancel"/> was called (or the submit token fired).</summary>
    public bool IsCancellationRequested => _cancel.IsCancellationRequested;

    /// <summary>Completes when the generation ended, however it ended.</summary>
    public Task Completion => _tokens.Reader.Completion;

    internal int Slot { get; set; } = -1;

    internal int LastToken { get; private set; }

    internal TokenSampler Sampler { get; }

    internal CancellationToken CancellationToken => _cancel.Token;

    /// <summary>
    /// The generated ids as they come. Ends after the last one; throws <see cref="OperationCanceledException"/> if the
    /// generation was cancelled, and the engine's exception if it failed.
    /// </summary>
    public async IAsyncEnumerable<int> ReadTokensAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = _tokens.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out int token))
            {
                yield return token;
            }
        }

        if (Fault is not null)
        {
            ExceptionDispatchInfo.Throw(Fault);
        }

        if (FinishReason == BatchFinishReason.Cancelled)
        {
            throw new OperationCanceledException("the generation was cancelled.", cancellationToken);
        }
    }

    /// <summary>Leaves the queue, or frees the slot before the next decode step. Tokens already generated stay readable.</summary>
    public void Cancel()
    {
        if (FinishReason != BatchFinishReason.None)
        {
            return;
        }

        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        _wake();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Cancel();
        _registration.Dispose();
    }

    internal void CancelWhen(CancellationToken cancellationToken) =>
        _registration = cancellationToken.Register(static g => ((ScheduledGeneration)g!).Cancel(), this);

    /// <summary>Hands a sampled id to the reader; says whether the generation is done and why.</summary>
    internal BatchFinishReason Accept(int token, int maxSequenceLength)
    {
        LastToken = token;
        int generated = Interlocked.Increment(ref _generated);
        _tokens.Writer.TryWrite(token);
        return Request.EosTokenIds.Contains(token) ? BatchFinishReason.EndOfSequence
            : generated >= Request.MaxNewTokens ? BatchFinishReason.MaxNewTokens
            : Request.PromptIds.Count + generated >= maxSequenceLength ? BatchFinishReason.ContextLimit
            : BatchFinishReason.None;
    }

    internal void Complete(BatchFinishReason reason, Exception? fault = null)
    {
        Fault = fault;
        if (Interlocked.CompareExchange(ref _finish, (int)reason, (int)BatchFinishReason.None) == (int)BatchFinishReason.None)
        {
            Slot = -1;
            _tokens.Writer.TryComplete();
        }
    }
}
