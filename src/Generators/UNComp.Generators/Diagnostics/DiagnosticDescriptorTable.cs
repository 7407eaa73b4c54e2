using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace UNComp.Generators.Diagnostics
{
    /// <summary>Looks descriptors up by id, so a <see cref="DiagnosticInfo"/> only needs to carry the id.</summary>
    internal static class DiagnosticDescriptorTable
    {
        /// <summary>All descriptors, in id order.</summary>
        public static readonly IReadOnlyList<DiagnosticDescriptor> All = new[]
        {
            DiagnosticDescriptors.MalformedJson,
            DiagnosticDescriptors.UnsupportedFormat,
            DiagnosticDescriptors.MissingField,
            DiagnosticDescriptors.WrongType,
            DiagnosticDescriptors.InvalidModelDimensions,
            DiagnosticDescriptors.LayerTableMismatch,
            DiagnosticDescriptors.UnitCountMismatch,
            DiagnosticDescriptors.GroupOutOfRange,
            DiagnosticDescriptors.UnevenGroups,
            DiagnosticDescriptors.BudgetBelowWindow,
            DiagnosticDescriptors.MeanBudgetMismatch,
            DiagnosticDescriptors.BudgetOrderViolated,
            DiagnosticDescriptors.InvalidGroupWeights,
            DiagnosticDescriptors.StagesDoNotCoverLayers,
            DiagnosticDescriptors.InvalidKeepTokens,
            DiagnosticDescriptors.StagesWithoutHiddenStates,
            DiagnosticDescriptors.InvalidClassName,
            DiagnosticDescriptors.DuplicateClassName,
            DiagnosticDescriptors.UnsupportedValue,
            DiagnosticDescriptors.SettingOutOfRange,
            DiagnosticDescriptors.InvalidFingerprint,
            DiagnosticDescriptors.InvalidNamespace,
            DiagnosticDescriptors.UnreadableProfile,
            DiagnosticDescriptors.ProfileItemNotProfileFile,
            DiagnosticDescriptors.BudgetExceedsContext,
            DiagnosticDescriptors.InternalError,
        };

        private static readonly Dictionary<string, DiagnosticDescriptor> ById = Index();

        public static DiagnosticDescriptor Find(string id)
            => ById.TryGetValue(id, out DiagnosticDescriptor? descriptor) ? descriptor : DiagnosticDescriptors.InternalError;

        private static Dictionary<string, DiagnosticDescriptor> Index()
        {
            var map = new Dictionary<string, DiagnosticDescriptor>();
            foreach (DiagnosticDescriptor descriptor in All)
            {
                map[descriptor.Id] = descriptor;
            }

            return map;
        }
    }
}
