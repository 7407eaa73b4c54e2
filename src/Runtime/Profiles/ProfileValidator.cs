using System.Text.RegularExpressions;
using UNComp.Profiles;

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
            if (!ProfileFormatRules.IsOneOf(m.Architecture, ProfileFormatRules.Architectures))
            {
                Add("$.model.architecture", ProfileFormatRules.OneOfMessage(m.Architecture, ProfileFormatRules.Architectures) + ".");
            }

            foreach (var (name, value) in new[]
            {
                ("numLayers", m.NumLayers), ("hiddenSize", m.HiddenSize), ("numAttentionHeads", m.NumAttentionHeads),
                ("numKeyValueHeads", m.NumKeyValueHeads), ("headDim", m.HeadDim), ("vocabSize", m.VocabSize),
                ("maxPositionEmbeddings", m.MaxPositionEmbeddings),
            })
            {
                if (ProfileFormatRules.CheckDimension(value) is string problem)
                {
                    Add($"$.model.{name}", problem + ".");
                    shapeOk = false;
                }
            }

            if (ProfileFormatRules.CheckHeadGrouping(m.NumAttentionHeads, m.NumKeyValueHeads) is string grouping)
            {
                Add("$.model.numKeyValueHeads", grouping + ".");
                shapeOk = false;
            }

            if (!ProfileFormatRules.IsFingerprint(m.Fingerprint))
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

            if (!ProfileFormatRules.IsOneOf(c.Matrix, ProfileFormatRules.Matrices))
            {
                Add("$.calibration.matrix", ProfileFormatRules.OneOfMessage(c.Matrix, ProfileFormatRules.Matrices) + ".");
            }

            if (ProfileFormatRules.CheckTruncationK(c.TruncationK, m?.HeadDim ?? 0) is string truncation)
            {
                Add("$.calibration.truncationK", truncation + ".");
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
        if (m is not null && x is not null && ProfileFormatRules.IsOneOf(x.Granularity, ProfileFormatRules.Granularities))
        {
            units = ProfileFormatRules.UnitsPerLayer(x.Granularity, m.NumAttentionHeads, m.NumKeyValueHeads);
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
        void Check(string path, string? problem)
        {
            if (problem is not null)
            {
                Add(path, problem + ".");
            }
        }

        void OneOf(string path, string? value, string[] allowed)
        {
            if (!ProfileFormatRules.IsOneOf(value, allowed))
            {
                Add(path, ProfileFormatRules.OneOfMessage(value, allowed) + ".");
            }
        }

        OneOf("$.compression.method", x.Method, ProfileFormatRules.Methods);
        OneOf("$.compression.granularity", x.Granularity, ProfileFormatRules.Granularities);
        Check("$.compression.window", ProfileFormatRules.CheckWindow(x.Window));
        Check("$.compression.poolKernel", ProfileFormatRules.CheckPoolKernel(x.PoolKernel));
        Check("$.compression.meanBudget", ProfileFormatRules.CheckMeanBudget(x.MeanBudget, x.Window));
        Check("$.compression.groupCount", ProfileFormatRules.CheckGroupCount(x.GroupCount));
        if (x.GroupWeights is null || x.GroupWeights.Count != x.GroupCount)
        {
            Add("$.compression.groupWeights", $"has {x.GroupWeights?.Count ?? 0} entries; must have groupCount = {x.GroupCount}.");
        }

        for (int i = 0; i < (x.GroupWeights?.Count ?? 0); i++)
        {
            Check($"$.compression.groupWeights[{i}]", ProfileFormatRules.CheckGroupWeight(x.GroupWeights![i]));
        }

        OneOf("$.compression.decode", x.Decode, ProfileFormatRules.DecodeModes);
        var hs = x.HiddenStates;
        if (hs is null)
        {
            Add("$.compression.hiddenStates", "is missing.");
            return;
        }

        Check("$.compression.hiddenStates.epsilon", ProfileFormatRules.CheckEpsilon(hs.Epsilon));
        Check("$.compression.hiddenStates.minKeep", ProfileFormatRules.CheckMinKeep(hs.MinKeep, x.Window));
        Check("$.compression.hiddenStates.maxTokens", ProfileFormatRules.CheckMaxTokens(hs.MaxTokens, hs.MinKeep));
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

            if (ProfileFormatRules.CheckStageKeep(s.KeepTokens, x?.Window ?? 1, i > 0 ? stages[i - 1].KeepTokens : null) is string keep)
            {
                Add($"{path}.keepTokens", keep + ".");
            }

            expectedFirst = s.LastLayer + 1;
        }

        if (stages[^1].LastLayer != numLayers - 1)
        {
            Add($"$.stages[{stages.Count - 1}].lastLayer", $"is {stages[^1].LastLayer}; the last stage must end at numLayers-1 = {numLayers - 1}.");
        }

        if (x?.HiddenStates is { } hiddenStates && ProfileFormatRules.CheckStagesWithHiddenStates(stages.Count, hiddenStates.Enabled) is string stagesProblem)
        {
            Add("$.stages", stagesProblem + ".");
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
                if (ProfileFormatRules.CheckBudget(l.Budgets[u], x.Window) is string budget)
                {
                    Add($"{path}.budgets[{u}]", budget + ".");
                }
                else if (l.Budgets[u] > m.MaxPositionEmbeddings)
                {
                    Add($"{path}.budgets[{u}]", $"is {l.Budgets[u]}; must be <= model.maxPositionEmbeddings ({m.MaxPositionEmbeddings}): a unit never holds more tokens than the model's context, and the cache would allocate them all.");
                }
            }

            if (groupsCount == budgetsCount && groupsCount > 0
                && ProfileFormatRules.FindBudgetOrderViolation([.. l.Groups!], [.. l.Budgets!]) is (int a, int b))
            {
                Add($"{path}.budgets[{a}]", $"is {l.Budgets![a]} for group {l.Groups![a]}, below {l.Budgets[b]} of unit {b} in lower group {l.Groups[b]}; higher groups never get smaller budgets.");
            }
        }

        if (x is not null && ProfileFormatRules.CheckMeanAgreement(x.MeanBudget, budgetSum, budgetCount) is string mean)
        {
            Add("$.compression.meanBudget", mean + ".");
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();

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
