using System.Diagnostics;
using System.Globalization;
using UNComp.Runtime.Compute;

// Rates of CpuBackend's kernels on the fixture model's shapes, in process-CPU time (steady on a shared machine).
// Run with DOTNET_TieredCompilation=0 so every repetition runs optimized code.
int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
var cpu = new CpuBackend(threads);
var random = new Random(1);
Console.WriteLine($"CpuBackend kernels, {threads} thread(s), ISA {CpuBackend.KernelIsa}, per CPU-second");

const int n = 1024;
foreach (var (k, o) in new[] { (256, 256), (256, 64), (256, 768), (768, 256), (256, 4096) })
{
    var x = Random(n * k);
    var w = Random(o * k);
    var y = new float[n * o];
    double gemm = CpuMilliseconds(() => cpu.MatMul(x, w, [], y, n, k, o), 20);
    var six = new float[6 * o];
    double pack = CpuMilliseconds(() => cpu.MatMul(x.AsSpan(0, 6 * k), w, [], six, 6, k, o), 500);
    var y1 = new float[o];
    double gemv = CpuMilliseconds(() => cpu.MatMul(x.AsSpan(0, k), w, [], y1, 1, k, o), 2000);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"GEMM {n}x{k}->{o}: {gemm:F3} ms = {2.0 * n * k * o / gemm / 1e6:F1} GFLOP/s | 6 rows (≈ packing): {pack * 1000:F1} us | GEMV: {gemv * 1000:F2} us = {2.0 * k * o / gemv / 1e6:F1} GFLOP/s"));
}

{
    int heads = 8, kvHeads = 2, d = 32;
    var q = Random(n * heads * d);
    var k = Random(n * kvHeads * d);
    var v = Random(n * kvHeads * d);
    var o = new float[n * heads * d];
    var scratch = new float[heads * (n + 1)];
    double ms = CpuMilliseconds(() => cpu.CausalAttention(new CausalAttentionArgs
    {
        Q = q, K = k, V = v, Output = o, Scratch = scratch, Tokens = n, Heads = heads, KvHeads = kvHeads, HeadDim = d, Scale = 0.17f,
    }), 10);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"prefill attention n={n}, {heads} heads, d={d}: {ms:F3} ms = {4.0 * heads * d * n * (n + 1) / 2 / ms / 1e6:F1} GFLOP/s"));
    var gate = Random(64 * 768);
    var up = Random(64 * 768);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SwiGLU 64x768: {CpuMilliseconds(() => cpu.SwiGlu(gate, up, gate), 200) * 1000:F1} us"));
    int length = 1088;
    var qd = Random(4 * d);
    var keys = Random(length * d);
    var values = Random(length * d);
    var probs = new float[4 * (length + 1)];
    var od = new float[4 * d];
    double us = CpuMilliseconds(() => cpu.DecodeAttention(qd, keys, values, keys.AsSpan(0, d), values.AsSpan(0, d), probs, od, length, 4, d, 0.17f), 2000) * 1000;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"decode attention, 4 query heads x {length} keys: {us:F2} us"));
}

float[] Random(int count)
{
    var a = new float[count];
    for (int i = 0; i < count; i++)
    {
        a[i] = (float)(random.NextDouble() - 0.5);
    }

    return a;
}

static double CpuMilliseconds(Action action, int repetitions)
{
    action();
    using var process = Process.GetCurrentProcess();
    var start = process.TotalProcessorTime;
    for (int i = 0; i < repetitions; i++)
    {
        action();
    }

    process.Refresh();
    return (process.TotalProcessorTime - start).TotalMilliseconds / repetitions;
}
