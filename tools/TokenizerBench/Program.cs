// Single-thread encode throughput of UNComp.Runtime.Tokenization.Tokenizer, measured like
// tools/tokenizer/golden_ids.py measures HF tokenizers: the text in ~1 Mi-character chunks split after a line end,
// add_special_tokens false, one warm-up pass (reported as "first pass": empty word cache, JIT warming), best of 3.
// Usage: TokenizerBench BENCH.txt NAME=tokenizer.json[.gz] ...
//        TokenizerBench compare BENCH.txt CORPUS.jsonl.gz GPT2.tokenizer.json[.gz] LLAMA3.tokenizer.json[.gz]
//        (ours vs Microsoft.ML.Tokenizers: see MicrosoftComparison.cs)
using System.Diagnostics;
using System.Globalization;
using System.Text;
using UNComp.Runtime.Tokenization;

if (args.Length == 5 && args[0] == "compare")
{
    return MicrosoftComparison.Run(args[1], args[2], args[3], args[4]);
}

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: TokenizerBench BENCH.txt NAME=tokenizer.json[.gz] ...");
    return 2;
}

var text = File.ReadAllText(args[0]);
var megabytes = Encoding.UTF8.GetByteCount(text) / 1e6;
var chunks = BenchText.Chunks(text, 1 << 20);
foreach (var spec in args.Skip(1))
{
    var parts = spec.Split('=', 2);
    var load = Stopwatch.StartNew();
    var tokenizer = Tokenizer.FromFile(parts[1]);
    var loadSeconds = load.Elapsed.TotalSeconds;
    var (best, first, count) = BenchText.Measure(chunks, chunk => tokenizer.EncodeToIds(chunk, addSpecialTokens: false).Count);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"ours {parts[0]} {megabytes / best:F2} MB/s ({megabytes:F2} MB, {count} tokens, best {best:F3}s, load {loadSeconds:F2}s; first pass {megabytes / first:F2} MB/s)"));
}

return 0;
