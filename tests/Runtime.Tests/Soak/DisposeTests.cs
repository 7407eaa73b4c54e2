using UNComp.Runtime.Cache;
using UNComp.Runtime.Generation;
using UNComp.Runtime.Tests.TestSupport;

namespace UNComp.Runtime.Tests.Soak;

/// <summary>Disposing a generator releases its native KV memory, also when a call is running on another thread.</summary>
[Collection(NativeMemoryTests.Name)]
public class DisposeTests
{
    [Fact]
    public void Dispose_Generator_ReturnsNativeBytesToBaseline()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        long baseline = KvCache.NativeBytesInUse;
        var gen = new Generator(model, new GeneratorParams { MaxLength = 64, EosTokenIds = [] });
        long held = KvCache.NativeBytesInUse - baseline;
        gen.AppendTokens([1, 2, 3]);

        gen.Dispose();

        Assert.Equal(gen.Cache.Bytes, held);
        Assert.Equal(baseline, KvCache.NativeBytesInUse);
        Assert.True(gen.Cache.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => gen.AppendTokens([4]));
        gen.Dispose(); // idempotent
        Assert.Equal(baseline, KvCache.NativeBytesInUse);
    }

    [Fact]
    public async Task Dispose_DuringCallOnAnotherThread_FreesWhenTheCallReturns()
    {
        using var tiny = new TinyModel(new TinyModelSpec());
        using var model = tiny.Load();
        long baseline = KvCache.NativeBytesInUse;
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var backend = new HookedBackend(calls =>
        {
            if (calls == 1)
            {
                inside.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        });
        var gen = new Generator(model, new GeneratorParams { MaxLength = 64, EosTokenIds = [], Backend = backend });
        var call = Task.Run(() => gen.AppendTokens([1, 2, 3]));
        Assert.True(inside.Wait(TimeSpan.FromSeconds(30)));

        gen.Dispose();
        bool freedEarly = gen.Cache.IsDisposed;
        release.Set();
        await call.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(freedEarly);
        Assert.True(gen.Cache.IsDisposed);
        Assert.Equal(baseline, KvCache.NativeBytesInUse);
    }
}
