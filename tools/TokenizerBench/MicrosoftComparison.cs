// Ours vs Microsoft.ML.Tokenizers 2.0.1 on the same text and thread: ids on the parity corpus where both apply,
// and encode MB/s on the benchmark text (the same chunks and passes as the main mode: ~1 Mi-character chunks,
// one warm-up pass, best of 3). Engines: our tokenizer.json Tokenizer directly and through its
// Microsoft.ML.Tokenizers face (ids, and EncodedTokens with offsets); Microsoft's CodeGen byte-level BPE built
// from GPT-2's vocab/merges; Microsoft's Tiktoken with the gpt2 and cl100k_base data packages.
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using UNComp.Runtime.Tokenization;
using MLTokenizers = Microsoft.ML.Tokenizers;

internal static class MicrosoftComparison
{
    public static int Run(string benchPath, string corpusPath, string gpt2Path, string llama3Path)
    {
        var text = File.ReadAllText(benchPath);
        double megabytes = Encoding.UTF8.GetByteCount(text) / 1e6;
        var chunks = BenchText.Chunks(text, 1 << 20);
        var corpus = ReadCorpus(corpusPath);
        var gpt2 = Tokenizer.FromFile(gpt2Path);
        var llama3 = Tokenizer.FromFile(llama3Path);
        var gpt2Ml = gpt2.AsMicrosoftMLTokenizer();
        var codegen = CodeGenFrom(gpt2Path);
        var tiktokenGpt2 = MLTokenizers.TiktokenTokenizer.CreateForModel("gpt2");
        var cl100k = MLTokenizers.TiktokenTokenizer.CreateForEncoding("cl100k_base");

        Console.WriteLine($"corpus: {corpus.Count} strings without lone surrogates; bench text {megabytes:F2} MB; {Environment.ProcessorCount} logical CPUs; {RuntimeVersion()}");
        Parity("ours gpt2 vs Microsoft CodeGen (GPT-2 vocab/merges)", corpus, t => gpt2.EncodeToIds(t, false), t => codegen.EncodeToIds(t));
        Parity("ours gpt2 vs Microsoft Tiktoken gpt2", corpus, t => gpt2.EncodeToIds(t, false), t => tiktokenGpt2.EncodeToIds(t));
        Parity("ours gpt2 vs ours through Microsoft.ML.Tokenizers.Tokenizer", corpus, t => gpt2.EncodeToIds(t, false), t => gpt2Ml.EncodeToIds(t));
        Parity("ours llama3 vs Microsoft Tiktoken cl100k_base (Llama 3's first 100,256 ids are cl100k's)", corpus, t => llama3.EncodeToIds(t, false), t => cl100k.EncodeToIds(t));

        Throughput("ours gpt2 (Tokenizer.EncodeToIds)", chunks, megabytes, c => gpt2.EncodeToIds(c, false).Count);
        Throughput("ours gpt2 via Microsoft.ML.Tokenizers.Tokenizer.EncodeToIds", chunks, megabytes, c => gpt2Ml.EncodeToIds(c).Count);
        Throughput("ours gpt2 via Microsoft.ML.Tokenizers.Tokenizer.EncodeToTokens (offsets)", chunks, megabytes, c => gpt2Ml.EncodeToTokens(c, out _).Count);
        Throughput("ours gpt2 via Microsoft.ML.Tokenizers.Tokenizer.CountTokens", chunks, megabytes, c => gpt2Ml.CountTokens(c));
        Throughput("Microsoft CodeGen gpt2 EncodeToIds", chunks, megabytes, c => codegen.EncodeToIds(c).Count);
        Throughput("Microsoft Tiktoken gpt2 EncodeToIds", chunks, megabytes, c => tiktokenGpt2.EncodeToIds(c).Count);
        Throughput("Microsoft Tiktoken gpt2 EncodeToTokens (offsets)", chunks, megabytes, c => tiktokenGpt2.EncodeToTokens(c, out _).Count);
        Throughput("ours llama3 (Tokenizer.EncodeToIds)", chunks, megabytes, c => llama3.EncodeToIds(c, false).Count);
        Throughput("Microsoft Tiktoken cl100k_base EncodeToIds", chunks, megabytes, c => cl100k.EncodeToIds(c).Count);
        return 0;
    }

    private static string RuntimeVersion() => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;

    private static void Parity(string label, List<string> corpus, Func<string, IReadOnlyList<int>> ours, Func<string, IReadOnlyList<int>> theirs)
    {
        int equal = 0;
        int? firstDifferent = null;
        for (int i = 0; i < corpus.Count; i++)
        {
            if (ours(corpus[i]).SequenceEqual(theirs(corpus[i])))
            {
                equal++;
            }
            else
            {
                firstDifferent ??= i;
            }
        }

        string example = firstDifferent is { } d ? $"; first different: {JsonSerializer.Serialize(Shorten(corpus[d]))}" : string.Empty;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ids  {label}: {equal} / {corpus.Count} strings equal{example}"));
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static void Throughput(string label, List<string> chunks, double megabytes, Func<string, int> encode)
    {
        var (best, firstSeconds, tokens) = BenchText.Measure(chunks, encode);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"MB/s {label}: {megabytes / best:F2} (first pass {megabytes / firstSeconds:F2}; {tokens} tokens; best {best:F3} s)"));
    }

    private static MLTokenizers.CodeGenTokenizer CodeGenFrom(string tokenizerJsonPath)
    {
        string json = tokenizerJsonPath.EndsWith(".gz", StringComparison.Ordinal)
            ? new StreamReader(new GZipStream(File.OpenRead(tokenizerJsonPath), CompressionMode.Decompress)).ReadToEnd()
            : File.ReadAllText(tokenizerJsonPath);
        using var doc = JsonDocument.Parse(json);
        var model = doc.RootElement.GetProperty("model");
        var vocab = new MemoryStream(Encoding.UTF8.GetBytes(model.GetProperty("vocab").GetRawText()));
        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var m in model.GetProperty("merges").EnumerateArray())
        {
            merges.Append(m.ValueKind == JsonValueKind.String ? m.GetString() : $"{m[0].GetString()} {m[1].GetString()}").Append('\n');
        }

        return MLTokenizers.CodeGenTokenizer.Create(vocab, new MemoryStream(Encoding.UTF8.GetBytes(merges.ToString())),
            addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
    }

    private static List<string> ReadCorpus(string path)
    {
        var list = new List<string>();
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.GetProperty("lone").GetArrayLength() == 0)
            {
                list.Add(doc.RootElement.GetProperty("text").GetString()!);
            }
        }

        return list;
    }
}
