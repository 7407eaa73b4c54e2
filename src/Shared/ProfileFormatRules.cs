// Linked into UNComp.Runtime (net10.0) and UNComp.Generators (netstandard2.0), the way System.Text.Json's generator
// links src/libraries/System.Text.Json/Common/*.cs: the one copy of the profile vocabulary and of the rules that do
// not depend on where a value sits in the JSON. Each side reports a broken rule its own way (a ProfileProblem with a
// JSON path; a UNC diagnostic at the value's line and column) with the message returned here.
// Keep it to C# that both targets compile: no collection expressions over interfaces, no newer BCL APIs, invariant
// formatting only.
using System;
using System.Globalization;

namespace UNComp.Profiles
{
    /// <summary>The profile format's vocabulary and value rules, shared by the runtime validator and the generator.</summary>
    internal static class ProfileFormatRules
    {
        /// <summary>The <c>format</c> value this code reads and writes.</summary>
        public const string FormatId = "uncomp-profile/1";

        /// <summary>The only compression method.</summary>
        public const string MethodUncomp = "uncomp";

        /// <summary>Granularity: one cache (and budget) per KV head.</summary>
        public const string KvHead = "kvHead";

        /// <summary>Granularity: one cache per query head.</summary>
        public const string QueryHead = "queryHead";

        /// <summary>Decode mode: every unit stays at its budget.</summary>
        public const string DecodeFixed = "fixed";

        /// <summary>Decode mode: append without eviction (into headroom).</summary>
        public const string DecodeGrow = "grow";

        /// <summary>Entropy matrix: query vectors.</summary>
        public const string MatrixQuery = "query";

        /// <summary>Entropy matrix: key vectors.</summary>
        public const string MatrixKey = "key";

        /// <summary>Entropy matrix: value vectors.</summary>
        public const string MatrixValue = "value";

        /// <summary>Architectures a profile may name (the runtime's Llama-family loader reads all of them).</summary>
        public static readonly string[] Architectures = { "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM" };

        /// <summary>Accepted <c>compression.granularity</c> values.</summary>
        public static readonly string[] Granularities = { KvHead, QueryHead };

        /// <summary>Accepted <c>compression.decode</c> values.</summary>
        public static readonly string[] DecodeModes = { DecodeFixed, DecodeGrow };

        /// <summary>Accepted <c>compression.method</c> values.</summary>
        public static readonly string[] Methods = { MethodUncomp };

        /// <summary>Accepted <c>calibration.matrix</c> values.</summary>
        public static readonly string[] Matrices = { MatrixQuery, MatrixKey, MatrixValue };

        /// <summary>How far the budgets' mean may stray from <c>meanBudget</c>, in tokens.</summary>
        public const double MeanBudgetTolerance = 1.0;

        /// <summary>Whether <paramref name="value"/> is one of <paramref name="allowed"/> (ordinal).</summary>
        public static bool IsOneOf(string? value, string[] allowed) => value is not null && Array.IndexOf(allowed, value) >= 0;

        /// <summary>"use one of a, b, c" for a value outside <paramref name="allowed"/>.</summary>
        public static string OneOfMessage(string? value, string[] allowed)
            => "\"" + value + "\" is not supported; use one of " + string.Join(", ", allowed);

        /// <summary>Cache units per layer: query heads for <c>queryHead</c>, KV heads otherwise.</summary>
        public static int UnitsPerLayer(string granularity, int numAttentionHeads, int numKeyValueHeads)
            => granularity == QueryHead ? numAttentionHeads : numKeyValueHeads;

        /// <summary><c>sha256:</c> followed by 64 lowercase hex digits.</summary>
        public static bool IsFingerprint(string? value)
        {
            const string Prefix = "sha256:";
            if (value is null || value.Length != Prefix.Length + 64 || !value.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return false;
            }

            for (int i = Prefix.Length; i < value.Length; i++)
            {
                char c = value[i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                {
                    return false;
                }
            }

            return true;
        }

        // Each Check* returns null when the value obeys the rule, else the message (without the JSON path).

        /// <summary>A model dimension (layers, widths, head counts, vocabulary, positions) must be positive.</summary>
        public static string? CheckDimension(int value)
            => value < 1 ? Invariant($"is {value}; must be a positive integer (copy it from the model's config.json)") : null;

        /// <summary>Query heads must be a multiple of KV heads (GQA groups of equal size).</summary>
        public static string? CheckHeadGrouping(int numAttentionHeads, int numKeyValueHeads)
            => numAttentionHeads >= 1 && numKeyValueHeads >= 1 && numAttentionHeads % numKeyValueHeads != 0
                ? Invariant($"numAttentionHeads ({numAttentionHeads}) is not a multiple of numKeyValueHeads ({numKeyValueHeads})")
                : null;

        /// <summary>The truncation k of the matrix entropy is in [1, headDim].</summary>
        public static string? CheckTruncationK(int k, int headDim)
            => k < 1 || (headDim >= 1 && k > headDim) ? Invariant($"is {k}; must be in [1, headDim = {headDim}]") : null;

        /// <summary>The observation window is at least 1 token.</summary>
        public static string? CheckWindow(int window)
            => window < 1 ? Invariant($"is {window}; must be at least 1 (default 8)") : null;

        /// <summary>The pooling kernel is odd and at least 1 (it is centred on each position).</summary>
        public static string? CheckPoolKernel(int kernel)
            => kernel < 1 || kernel % 2 == 0 ? Invariant($"is {kernel}; must be odd and at least 1 (default 7)") : null;

        /// <summary>The mean budget holds at least the window (every budget does).</summary>
        public static string? CheckMeanBudget(double meanBudget, int window)
            => !IsFinite(meanBudget) || meanBudget < Math.Max(1, window) ? Invariant($"is {F(meanBudget)}; must be at least window ({window})") : null;

        /// <summary>At least one group.</summary>
        public static string? CheckGroupCount(int groupCount)
            => groupCount < 1 ? Invariant($"is {groupCount}; must be at least 1") : null;

        /// <summary>A group weight is a positive finite number.</summary>
        public static string? CheckGroupWeight(double weight)
            => !(weight > 0) || !IsFinite(weight) ? Invariant($"is {F(weight)}; must be positive") : null;

        /// <summary>The stage-cut threshold is a finite number ≥ 0.</summary>
        public static string? CheckEpsilon(double epsilon)
            => !IsFinite(epsilon) || epsilon < 0 ? Invariant($"is {F(epsilon)}; must not be negative (default 1)") : null;

        /// <summary>The deepest stage keeps at least the window.</summary>
        public static string? CheckMinKeep(int minKeep, int window)
            => minKeep < Math.Max(1, window) ? Invariant($"is {minKeep}; must be at least window ({window})") : null;

        /// <summary>The planned prompt length is at least what the deepest stage keeps.</summary>
        public static string? CheckMaxTokens(int maxTokens, int minKeep)
            => maxTokens < Math.Max(1, minKeep) ? Invariant($"is {maxTokens}; must be at least minKeep ({minKeep})") : null;

        /// <summary>A budget holds at least the window (the window tokens are always kept).</summary>
        public static string? CheckBudget(int budget, int window)
            => budget < window ? Invariant($"is {budget}; must be at least window ({window})") : null;

        /// <summary>A stage keeps at least the window and no more than the stage before it.</summary>
        public static string? CheckStageKeep(int keepTokens, int window, int? previousKeepTokens)
        {
            if (keepTokens < window)
            {
                return Invariant($"is {keepTokens}; must be at least window ({window})");
            }

            return previousKeepTokens is int previous && keepTokens > previous
                ? Invariant($"is {keepTokens}; must not exceed the previous stage's {previous} (deeper stages keep no more tokens)")
                : null;
        }

        /// <summary>Several stages need hidden-state compression on (stages only matter for it).</summary>
        public static string? CheckStagesWithHiddenStates(int stageCount, bool hiddenStatesEnabled)
            => !hiddenStatesEnabled && stageCount > 1
                ? Invariant($"has {stageCount} stages but compression.hiddenStates.enabled is false; use a single stage or enable hidden states")
                : null;

        /// <summary>The budgets' mean agrees with <c>meanBudget</c> within <see cref="MeanBudgetTolerance"/>.</summary>
        public static string? CheckMeanAgreement(double meanBudget, long budgetSum, long budgetCount)
        {
            if (budgetCount < 1 || !IsFinite(meanBudget))
            {
                return null;
            }

            double mean = (double)budgetSum / budgetCount;
            return Math.Abs(mean - meanBudget) > MeanBudgetTolerance
                ? Invariant($"is {F(meanBudget)} but the budgets average {F(mean)} tokens over {budgetCount} units; they must agree within 1 token (re-run the budget planner or fix meanBudget)")
                : null;
        }

        /// <summary>
        /// The first unit of a layer whose budget is below that of a unit in a lower group (higher-entropy groups never
        /// get less), with that other unit; null when the order holds. Arrays of different lengths are not checked.
        /// </summary>
        public static (int Unit, int Other)? FindBudgetOrderViolation(int[] groups, int[] budgets)
        {
            if (groups.Length != budgets.Length)
            {
                return null;
            }

            for (int a = 0; a < groups.Length; a++)
            {
                for (int b = 0; b < groups.Length; b++)
                {
                    if (groups[a] > groups[b] && budgets[a] < budgets[b])
                    {
                        return (a, b);
                    }
                }
            }

            return null;
        }

        private static bool IsFinite(double value) => !double.IsNaN(value) && !double.IsInfinity(value);

        private static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

        private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
    }
}
