using System.Globalization;
using System.Text.RegularExpressions;

namespace UNComp.Runtime.Profiles;

/// <summary>
/// Checks a profile against the rules of docs/profile-format.md and returns every violation (never only the
/// first), each with its JSON path.
/// </summary>
public static partial class ProfileValidator
{
    /// <summary>Every problem of <paramref name="profile"/>; empty when it is valid.</summary>
    public static IReadOnlyList<ProfileProblem> Validate(UncompProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var p = new List<ProfileProblem>();
        void Add(string path, string message) => p.Add(new ProfileProblem(path, message));

        if (profile.Format != UncompProfile.FormatId)
        {
            Add("$.format", $"is \"{profile.Format}\"; must be exactly \"{UncompProfile.FormatId}\".");
        }

        if (profile.Name is null || !Identifier().IsMatch(profile.Name) || CSharpKeywords.Contains(profile.Name))
        {
            Add("$.name", $"\"{profile.Name}\" is not a valid C# identifier; use letters, digits and '_' (not starting with a digit, not a keyword), e.g. \"FixtureLlama\".");
        }

        var m = profile.Model;
        bool shapeOk = m is not null;
        if (m is null)
        {
            Add("$.model", "is missing.");
        }
        else
        {
            if (!ProfileArchitectures.All.Contains(m.Architecture))
            {
                Add("$.model.architecture", $"\"{m.Architecture}\" is not supported; use one of {string.Join(", ", ProfileArchitectures.All)}.");
            }

            foreach (var (name, value) in new[]
            {
                ("numLayers", m.NumLayers), ("hiddenSize", m.HiddenSize), ("numAttentionHeads", m.NumAttentionHeads),
                ("numKeyValueHeads", m.NumKeyValueHeads), ("headDim", m.HeadDim), ("vocabSize", m.VocabSize),
                ("maxPositionEmbeddings", m.MaxPositionEmbeddings),
            })
            {
                if (value < 1)
                {
                    Add($"$.model.{name}", $"is {value}; must be a positive integer (copy it from the model's config.json).");
                    shapeOk = false;
                }
            }

            if (m.NumAttentionHeads >= 1 && m.NumKeyValueHeads >= 1 && m.NumAttentionHeads % m.NumKeyValueHeads != 0)
            {
                Add("$.model.numKeyValueHeads", $"{m.NumKeyValueHeads} does not divide numAttentionHeads {m.NumAttentionHeads}.");
                shapeOk = false;
            }

            if (m.Fingerprint is null || !Fingerprint().IsMatch(m.Fingerprint))
            {
                Add("$.model.fingerprint", $"\"{m.Fingerprint}\" must be \"sha256:\" followed by 64 lowercase hex digits (ModelFingerprint.Compute).");
            }
        }

        var c = profile.Calibration;
        if (c is null)
        {
            Add("$.calibration", "is missing.");
        }
        else
        {
            if (c.Samples < 1)
            {
                Add("$.calibration.samples", $"is {c.Samples}; must be >= 1.");
            }

            if (c.Tokens < 1)
            {
                Add("$.calibration.tokens", $"is {c.Tokens}; must be >= 1.");
            }

            if (!EntropyMatrix.All.Contains(c.Matrix))
            {
                Add("$.calibration.matrix", $"\"{c.Matrix}\" must be one of {string.Join(", ", EntropyMatrix.All)}.");
            }

            if (c.TruncationK < 1 || (m is not null && m.HeadDim >= 1 && c.TruncationK > m.HeadDim))
            {
                Add("$.calibration.truncationK", $"is {c.TruncationK}; must be in [1, headDim = {m?.HeadDim}].");
            }
        }

        var x = profile.Compression;
        if (x is null)
        {
            Add("$.compression", "is missing.");
        }
        else
        {
            ValidateCompression(x, p);
        }

        int units = 0;
        if (m is not null && x is not null && CacheGranularity.All.Contains(x.Granularity))
        {
            units = x.Granularity == CacheGranularity.QueryHead ? m.NumAttentionHeads : m.NumKeyValueHeads;
        }

        if (m is not null && m.NumLayers >= 1)
        {
            ValidateStages(profile, m.NumLayers, x, p);
        }

        // Per-layer lengths depend on the head counts: only checked once those are sane.
        if (m is not null && shapeOk)
        {
            ValidateLayers(profile, m, x, units, p);
        }

        return p;
    }

    private static void ValidateCompression(ProfileCompression x, List<ProfileProblem> p)
    {
        void Add(string path, string message) => p.Add(new ProfileProblem(path, message));
        if (x.Method != "uncomp")
        {
            Add("$.compression.method", $"\"{x.Method}\" must be \"uncomp\".");
        }

        if (!CacheGranularity.All.Contains(x.Granularity))
        {
            Add("$.compression.granularity", $"\"{x.Granularity}\" must be \"kvHead\" or \"queryHead\".");
        }

        if (x.Window < 1)
        {
            Add("$.compression.window", $"is {x.Window}; must be >= 1 (default 8).");
        }

        if (x.PoolKernel < 1 || x.PoolKernel % 2 == 0)
        {
            Add("$.compression.poolKernel", $"is {x.PoolKernel}; must be odd and >= 1 (default 7).");
        }

        if (!double.IsFinite(x.MeanBudget) || x.MeanBudget < x.Window)
        {
            Add("$.compression.meanBudget", $"is {F(x.MeanBudget)}; must be >= window ({x.Window}).");
        }

        if (x.GroupCount < 1)
        {
            Add("$.compression.groupCount", $"is {x.GroupCount}; must be >= 1.");
        }

        if (x.GroupWeights is null || x.GroupWeights.Count != x.GroupCount)
        {
            Add("$.compression.groupWeights", $"has {x.GroupWeights?.Count ?? 0} entries; must have groupCount = {x.GroupCount}.");
        }

        for (int i = 0; i < (x.GroupWeights?.Count ?? 0); i++)
        {
            if (!(x.GroupWeights![i] > 0) || !double.IsFinite(x.GroupWeights[i]))
            {
                Add($"$.compression.groupWeights[{i}]", $"is {F(x.GroupWeights[i])}; must be > 0.");
            }
        }

        if (!DecodePolicy.All.Contains(x.Decode))
        {
            Add("$.compression.decode", $"\"{x.Decode}\" must be \"fixed\" or \"grow\".");
        }

        var hs = x.HiddenStates;
        if (hs is null)
        {
            Add("$.compression.hiddenStates", "is missing.");
            return;
        }

        if (!double.IsFinite(hs.Epsilon) || hs.Epsilon < 0)
        {
            Add("$.compression.hiddenStates.epsilon", $"is {F(hs.Epsilon)}; must be >= 0 (default 1).");
        }

        if (hs.MinKeep < x.Window)
        {
            Add("$.compression.hiddenStates.minKeep", $"is {hs.MinKeep}; must be >= window ({x.Window}).");
        }

        if (hs.MaxTokens < hs.MinKeep)
        {
            Add("$.compression.hiddenStates.maxTokens", $"is {hs.MaxTokens}; must be >= minKeep ({hs.MinKeep}).");
        }
    }

    private static void ValidateStages(UncompProfile profile, int numLayers, ProfileCompression? x, List<ProfileProblem> p)
    {
        void Add(string path, string message) => p.Add(new ProfileProblem(path, message));
        var stages = profile.Stages;
        if (stages is null || stages.Count == 0)
        {
            Add("$.stages", "is empty; give at least one stage covering layers 0..numLayers-1.");
            return;
        }

        int expectedFirst = 0;
        for (int i = 0; i < stages.Count; i++)
        {
            var s = stages[i];
            string path = $"$.stages[{i}]";
            if (s is null)
            {
                Add(path, "is null; must be a stage object {firstLayer, lastLayer, keepTokens}.");
                return;
            }

            if (s.FirstLayer != expectedFirst)
            {
                Add($"{path}.firstLayer", $"is {s.FirstLayer}; must be {expectedFirst} (stages are contiguous and ordered, the first starts at 0).");
            }

            if (s.LastLayer < s.FirstLayer)
            {
                Add($"{path}.lastLayer", $"is {s.LastLayer}; must be >= firstLayer ({s.FirstLayer}).");
            }

            if (x is not null && s.KeepTokens < x.Window)
            {
                Add($"{path}.keepTokens", $"is {s.KeepTokens}; must be >= window ({x.Window}).");
            }

            if (i > 0 && s.KeepTokens > stages[i - 1].KeepTokens)
            {
                Add($"{path}.keepTokens", $"is {s.KeepTokens}; must not exceed the previous stage's {stages[i - 1].KeepTokens} (deeper stages keep fewer tokens).");
            }

            expectedFirst = s.LastLayer + 1;
        }

        if (stages[^1].LastLayer != numLayers - 1)
        {
            Add($"$.stages[{stages.Count - 1}].lastLayer", $"is {stages[^1].LastLayer}; the last stage must end at numLayers-1 = {numLayers - 1}.");
        }

        if (x?.HiddenStates is { Enabled: false } && stages.Count != 1)
        {
            Add("$.stages", $"has {stages.Count} stages but compression.hiddenStates.enabled is false; use a single stage or enable hidden states.");
        }
    }

    private static void ValidateLayers(UncompProfile profile, ProfileModel m, ProfileCompression? x, int units, List<ProfileProblem> p)
    {
        void Add(string path, string message) => p.Add(new ProfileProblem(path, message));
        var layers = profile.Layers;
        if (layers is null || layers.Count != m.NumLayers)
        {
            Add("$.layers", $"has {layers?.Count ?? 0} entries; must have numLayers = {m.NumLayers}.");
            if (layers is null)
            {
                return;
            }
        }

        long budgetSum = 0, budgetCount = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            string path = $"$.layers[{i}]";
            if (l is null)
            {
                Add(path, "is null; must be a layer object (docs/profile-format.md).");
                continue;
            }

            if (l.Layer != i)
            {
                Add($"{path}.layer", $"is {l.Layer}; must be {i} (layer i at index i).");
            }

            if (!double.IsFinite(l.Score))
            {
                Add($"{path}.score", "must be a finite number.");
            }

            if (l.Entropy is null || l.Entropy.Count != m.NumAttentionHeads)
            {
                Add($"{path}.entropy", $"has {l.Entropy?.Count ?? 0} entries; must have numAttentionHeads = {m.NumAttentionHeads}.");
            }

            if (units == 0 || x is null)
            {
                continue;
            }

            int groupsCount = l.Groups?.Count ?? 0, budgetsCount = l.Budgets?.Count ?? 0;
            if (groupsCount != units)
            {
                Add($"{path}.groups", $"has {groupsCount} entries; must have {units} (one per {x.Granularity} unit).");
            }

            if (budgetsCount != units)
            {
                Add($"{path}.budgets", $"has {budgetsCount} entries; must have {units} (one per {x.Granularity} unit).");
            }

            for (int u = 0; u < groupsCount; u++)
            {
                if (l.Groups![u] < 0 || l.Groups[u] >= x.GroupCount)
                {
                    Add($"{path}.groups[{u}]", $"is {l.Groups[u]}; must be in [0, groupCount = {x.GroupCount}).");
                }
            }

            for (int u = 0; u < budgetsCount; u++)
            {
                budgetSum += l.Budgets![u];
                budgetCount++;
                if (l.Budgets[u] < x.Window)
                {
                    Add($"{path}.budgets[{u}]", $"is {l.Budgets[u]}; must be >= window ({x.Window}).");
                }
                else if (l.Budgets[u] > m.MaxPositionEmbeddings)
                {
                    Add($"{path}.budgets[{u}]", $"is {l.Budgets[u]}; must be <= model.maxPositionEmbeddings ({m.MaxPositionEmbeddings}): a unit never holds more tokens than the model's context, and the cache would allocate them all.");
                }
            }

            if (groupsCount == budgetsCount)
            {
                for (int a = 0; a < groupsCount; a++)
                {
                    for (int b = 0; b < groupsCount; b++)
                    {
                        if (l.Groups![a] > l.Groups[b] && l.Budgets![a] < l.Budgets[b])
                        {
                            Add($"{path}.budgets[{a}]", $"is {l.Budgets[a]} for group {l.Groups[a]}, below {l.Budgets[b]} of unit {b} in lower group {l.Groups[b]}; higher groups never get smaller budgets.");
                            b = groupsCount;
                        }
                    }
                }
            }
        }

        if (budgetCount > 0 && x is not null && double.IsFinite(x.MeanBudget))
        {
            double mean = (double)budgetSum / budgetCount;
            if (Math.Abs(mean - x.MeanBudget) > 1.0)
            {
                Add("$.compression.meanBudget", $"is {F(x.MeanBudget)} but the budgets average {F(mean)} tokens over {budgetCount} units; they must agree within 1 token (re-run the budget planner or fix meanBudget).");
            }
        }
    }

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex Fingerprint();

    private static readonly HashSet<string> CSharpKeywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
        "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern",
        "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface",
        "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override",
        "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short",
        "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof",
        "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
    };
}
