using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace UNComp.Runtime.Profiles;

/// <summary>
/// Writes a profile as JSON in the layout of docs/profile-format.md: keys in a fixed order, two-space indent, one
/// stage per line, one block per layer with its arrays on single lines, so a re-calibration diffs line by line.
/// </summary>
/// <remarks>
/// Numbers use the shortest round-trip form (invariant culture), so <c>Write(Parse(text)) == text</c> for any
/// file this writer produced. Line endings are <c>\n</c> on every platform.
/// </remarks>
public static class ProfileWriter
{
    /// <summary>The profile as JSON text, ending with a newline.</summary>
    /// <exception cref="ArgumentException">A number is NaN or infinite (JSON cannot hold it).</exception>
    public static string Write(UncompProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var w = new StringBuilder(4096);
        w.Append("{\n");
        Field(w, 1, "format", Str(profile.Format));
        Field(w, 1, "name", Str(profile.Name));

        var m = profile.Model;
        Open(w, 1, "model");
        Field(w, 2, "architecture", Str(m.Architecture));
        Field(w, 2, "numLayers", Int(m.NumLayers));
        Field(w, 2, "hiddenSize", Int(m.HiddenSize));
        Field(w, 2, "numAttentionHeads", Int(m.NumAttentionHeads));
        Field(w, 2, "numKeyValueHeads", Int(m.NumKeyValueHeads));
        Field(w, 2, "headDim", Int(m.HeadDim));
        Field(w, 2, "vocabSize", Int(m.VocabSize));
        Field(w, 2, "maxPositionEmbeddings", Int(m.MaxPositionEmbeddings));
        Field(w, 2, "fingerprint", Str(m.Fingerprint), last: true);
        Close(w, 1);

        var c = profile.Calibration;
        Open(w, 1, "calibration");
        Field(w, 2, "samples", Int(c.Samples));
        Field(w, 2, "tokens", Int(c.Tokens));
        Field(w, 2, "seed", c.Seed.ToString(CultureInfo.InvariantCulture));
        Field(w, 2, "source", Str(c.Source));
        Field(w, 2, "matrix", Str(c.Matrix));
        Field(w, 2, "postRope", Bool(c.PostRope));
        Field(w, 2, "truncationK", Int(c.TruncationK));
        Field(w, 2, "elbow", Bool(c.Elbow));
        Field(w, 2, "tool", Str(c.Tool));
        Field(w, 2, "createdUtc", Str(c.CreatedUtc), last: true);
        Close(w, 1);

        var x = profile.Compression;
        var hs = x.HiddenStates;
        Open(w, 1, "compression");
        Field(w, 2, "method", Str(x.Method));
        Field(w, 2, "granularity", Str(x.Granularity));
        Field(w, 2, "window", Int(x.Window));
        Field(w, 2, "poolKernel", Int(x.PoolKernel));
        Field(w, 2, "meanBudget", Num(x.MeanBudget, "compression.meanBudget"));
        Field(w, 2, "groupCount", Int(x.GroupCount));
        Field(w, 2, "groupWeights", Array(x.GroupWeights.Select((v, i) => Num(v, $"compression.groupWeights[{i}]"))));
        Field(w, 2, "decode", Str(x.Decode));
        Field(w, 2, "hiddenStates", string.Create(CultureInfo.InvariantCulture,
            $"{{ \"enabled\": {Bool(hs.Enabled)}, \"epsilon\": {Num(hs.Epsilon, "hiddenStates.epsilon")}, \"minKeep\": {hs.MinKeep}, \"maxTokens\": {hs.MaxTokens}, \"keepWindow\": {Bool(hs.KeepWindow)} }}"), last: true);
        Close(w, 1);

        w.Append("  \"stages\": [\n");
        for (int i = 0; i < profile.Stages.Count; i++)
        {
            var s = profile.Stages[i];
            w.Append(CultureInfo.InvariantCulture, $"    {{ \"firstLayer\": {s.FirstLayer}, \"lastLayer\": {s.LastLayer}, \"keepTokens\": {s.KeepTokens} }}");
            w.Append(i + 1 < profile.Stages.Count ? ",\n" : "\n");
        }

        w.Append("  ],\n");
        w.Append("  \"layers\": [\n");
        for (int i = 0; i < profile.Layers.Count; i++)
        {
            var l = profile.Layers[i];
            w.Append("    {\n");
            Field(w, 3, "layer", Int(l.Layer));
            Field(w, 3, "score", Num(l.Score, $"layers[{i}].score"));
            Field(w, 3, "entropy", Array(l.Entropy.Select((v, h) => Num(v, $"layers[{i}].entropy[{h}]"))));
            Field(w, 3, "groups", Array(l.Groups.Select(Int)));
            Field(w, 3, "budgets", Array(l.Budgets.Select(Int)), last: true);
            w.Append(i + 1 < profile.Layers.Count ? "    },\n" : "    }\n");
        }

        w.Append("  ]\n}\n");
        return w.ToString();
    }

    /// <summary>Writes the profile to <paramref name="path"/> (UTF-8, no BOM), creating the folder.</summary>
    public static void Save(UncompProfile profile, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        File.WriteAllText(path, Write(profile), new UTF8Encoding(false));
    }

    private static void Field(StringBuilder w, int depth, string key, string value, bool last = false)
    {
        w.Append(' ', depth * 2).Append('"').Append(key).Append("\": ").Append(value).Append(last ? "\n" : ",\n");
    }

    private static void Open(StringBuilder w, int depth, string key) => w.Append(' ', depth * 2).Append('"').Append(key).Append("\": {\n");

    private static void Close(StringBuilder w, int depth) => w.Append(' ', depth * 2).Append("},\n");

    private static string Array(IEnumerable<string> items) => "[" + string.Join(", ", items) + "]";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Num(double value, string path)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException($"$.{path} is {value}; JSON numbers must be finite. Fix the calibration input that produced it.", nameof(value));
        }

        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    // Relaxed escaping keeps non-ASCII text readable; quotes, backslashes and control characters are escaped.
    private static string Str(string? value) =>
        "\"" + JsonEncodedText.Encode(value ?? string.Empty, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value + "\"";
}
