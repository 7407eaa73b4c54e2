using Microsoft.CodeAnalysis;

namespace UNComp.Generators.Diagnostics
{
    /// <summary>
    /// Every diagnostic the generator reports. Ids are stable (listed in AnalyzerReleases.*.md); messages name the
    /// JSON path of the bad value and the fix. Each is located at the line/column of that value in the profile.
    /// </summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "UNComp.Profile";

        /// <summary>UNC0001: the file is not well-formed JSON.</summary>
        public static readonly DiagnosticDescriptor MalformedJson = Error(
            "UNC0001", "Profile is not valid JSON", "Profile '{0}' is not valid JSON: {1}");

        /// <summary>UNC0002: <c>format</c> is not <c>uncomp-profile/1</c>.</summary>
        public static readonly DiagnosticDescriptor UnsupportedFormat = Error(
            "UNC0002", "Unsupported profile format", "{0}: format is \"{1}\", this generator reads \"uncomp-profile/1\"; regenerate the profile with a matching 'uncomp calibrate'");

        /// <summary>UNC0003: a required field is missing.</summary>
        public static readonly DiagnosticDescriptor MissingField = Error(
            "UNC0003", "Required profile field is missing", "{0}: required field \"{1}\" is missing; add it (see docs/profile-format.md)");

        /// <summary>UNC0004: a field has the wrong JSON type.</summary>
        public static readonly DiagnosticDescriptor WrongType = Error(
            "UNC0004", "Profile field has the wrong type", "{0}: expected {1} but found {2}");

        /// <summary>UNC0005: model dimensions are not positive or heads are not a multiple of KV heads.</summary>
        public static readonly DiagnosticDescriptor InvalidModelDimensions = Error(
            "UNC0005", "Invalid model dimensions", "{0}: {1}");

        /// <summary>UNC0006: the layer table does not have one entry per layer in order.</summary>
        public static readonly DiagnosticDescriptor LayerTableMismatch = Error(
            "UNC0006", "Layer table does not match the model", "{0}: {1}");

        /// <summary>UNC0007: per-unit or per-head arrays have the wrong length.</summary>
        public static readonly DiagnosticDescriptor UnitCountMismatch = Error(
            "UNC0007", "Per-unit array has the wrong length", "{0}: has {1} entries, expected {2} ({3})");

        /// <summary>UNC0008: a group id is outside [0, groupCount), so groups do not partition the units.</summary>
        public static readonly DiagnosticDescriptor GroupOutOfRange = Error(
            "UNC0008", "Group id outside the group range", "{0}: group {1} is outside [0, {2}); groups must partition the units into groupCount groups");

        /// <summary>UNC0009: group sizes in a layer differ by more than one unit (calibration splits evenly).</summary>
        public static readonly DiagnosticDescriptor UnevenGroups = Warning(
            "UNC0009", "Groups are not an even partition", "{0}: group sizes {1} differ by more than one unit; calibration splits units as evenly as possible, check the profile was not hand-edited by mistake");

        /// <summary>UNC0010: a budget is below the observation window.</summary>
        public static readonly DiagnosticDescriptor BudgetBelowWindow = Error(
            "UNC0010", "KV budget below the observation window", "{0}: budget {1} is below window {2}; every budget must hold at least the window tokens");

        /// <summary>UNC0011: the mean budget does not match meanBudget.</summary>
        public static readonly DiagnosticDescriptor MeanBudgetMismatch = Error(
            "UNC0011", "Mean budget does not match the budgets", "{0}: meanBudget is {1} but the budgets average {2}; they must agree within 1 token");

        /// <summary>UNC0012: a higher-entropy group got a smaller budget than a lower group in the same layer.</summary>
        public static readonly DiagnosticDescriptor BudgetOrderViolated = Error(
            "UNC0012", "Budgets not ordered by group", "{0}: budget {1} of group {2} is smaller than budget {3} of group {4} in the same layer; higher groups never get smaller budgets");

        /// <summary>UNC0013: group weights are missing, not positive, or not one per group.</summary>
        public static readonly DiagnosticDescriptor InvalidGroupWeights = Error(
            "UNC0013", "Invalid group weights", "{0}: {1}");

        /// <summary>UNC0014: stages are empty, not contiguous, or do not cover layers 0..numLayers-1.</summary>
        public static readonly DiagnosticDescriptor StagesDoNotCoverLayers = Error(
            "UNC0014", "Stages do not cover the layers", "{0}: {1}");

        /// <summary>UNC0015: stage keep lengths increase with depth or fall below the window.</summary>
        public static readonly DiagnosticDescriptor InvalidKeepTokens = Error(
            "UNC0015", "Invalid stage keep length", "{0}: {1}");

        /// <summary>UNC0016: more than one stage while hidden-state compression is disabled.</summary>
        public static readonly DiagnosticDescriptor StagesWithoutHiddenStates = Error(
            "UNC0016", "Several stages without hidden-state compression", "{0}: {1} stages but compression.hiddenStates.enabled is false; use a single stage or enable hidden-state compression");

        /// <summary>UNC0017: the generated class name is not a valid C# identifier.</summary>
        public static readonly DiagnosticDescriptor InvalidClassName = Error(
            "UNC0017", "Invalid class name", "{0}: \"{1}\" is not a valid C# identifier; {2}");

        /// <summary>UNC0018: two profiles generate the same class.</summary>
        public static readonly DiagnosticDescriptor DuplicateClassName = Error(
            "UNC0018", "Duplicate generated class name", "Profiles {1} all generate class '{0}'; give each profile a distinct name or set ClassName on its UNCompProfile item");

        /// <summary>UNC0019: a string setting has a value the generator does not know.</summary>
        public static readonly DiagnosticDescriptor UnsupportedValue = Error(
            "UNC0019", "Unsupported value", "{0}: \"{1}\" is not supported; use one of {2}");

        /// <summary>UNC0020: a numeric setting is out of its range.</summary>
        public static readonly DiagnosticDescriptor SettingOutOfRange = Error(
            "UNC0020", "Setting out of range", "{0}: {1}");

        /// <summary>UNC0021: the model fingerprint is not <c>sha256:</c> + 64 lowercase hex digits.</summary>
        public static readonly DiagnosticDescriptor InvalidFingerprint = Error(
            "UNC0021", "Invalid model fingerprint", "{0}: \"{1}\" is not \"sha256:\" followed by 64 lowercase hex digits; recompute it with 'uncomp inspect' or recalibrate");

        /// <summary>UNC0022: the namespace from MSBuild is not a valid C# namespace.</summary>
        public static readonly DiagnosticDescriptor InvalidNamespace = Error(
            "UNC0022", "Invalid namespace", "Profile '{0}': namespace \"{1}\" (from {2}) is not a valid C# namespace; fix the MSBuild property or item metadata");

        /// <summary>UNC0023: the additional file could not be read.</summary>
        public static readonly DiagnosticDescriptor UnreadableProfile = Error(
            "UNC0023", "Profile cannot be read", "Profile '{0}' could not be read; check the file exists and is readable");

        /// <summary>UNC0024: an <c>UNCompProfile</c> item whose file name does not end in <c>.uncomp.json</c> (it would be ignored).</summary>
        public static readonly DiagnosticDescriptor ProfileItemNotProfileFile = Error(
            "UNC0024", "UNCompProfile item is not a .uncomp.json file", "UNCompProfile item '{0}' is not compiled: profile file names must end in \".uncomp.json\"; rename it to '{1}' (the generator reads only *.uncomp.json files)");
        /// <summary>UNC0030: a budget exceeds the model's context, so the cache would allocate tokens no sequence can fill.</summary>
        public static readonly DiagnosticDescriptor BudgetExceedsContext = Error(
            "UNC0030", "KV budget exceeds the model's context", "{0}: budget {1} exceeds model.maxPositionEmbeddings {2}; a unit never holds more tokens than the model's context and the compiled cache would allocate them all, so lower the budget (re-run the budget planner)");

        /// <summary>UNC0099: an unexpected failure inside the generator (a bug: please report it).</summary>
        public static readonly DiagnosticDescriptor InternalError = Error(
            "UNC0099", "Internal generator error", "UNComp generator failed on '{0}': {1}; please report this with the profile attached");

        private static DiagnosticDescriptor Error(string id, string title, string message)
            => new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        private static DiagnosticDescriptor Warning(string id, string title, string message)
            => new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);
    }
}
