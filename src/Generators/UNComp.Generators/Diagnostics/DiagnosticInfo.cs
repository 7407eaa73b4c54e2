using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using UNComp.Generators.Json;
using UNComp.Generators.Model;

namespace UNComp.Generators.Diagnostics
{
    /// <summary>
    /// A diagnostic in equatable form: descriptor id, file path, span and pre-stringified arguments. It holds no
    /// <see cref="Location"/> or symbol, so the pipeline can cache it and compare it by value.
    /// </summary>
    internal sealed record DiagnosticInfo(
        string Id,
        string FilePath,
        TextSpan Span,
        LinePositionSpan Lines,
        EquatableArray<string> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, string filePath, TextRange range, params object[] arguments)
        {
            var strings = new string[arguments.Length];
            for (int i = 0; i < arguments.Length; i++)
            {
                strings[i] = Convert.ToString(arguments[i], System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            }

            return new DiagnosticInfo(descriptor.Id, filePath, range.Span, range.Lines, new EquatableArray<string>(strings));
        }

        /// <summary>A diagnostic with no position inside the file (the whole file is at fault).</summary>
        public static DiagnosticInfo AtFileStart(DiagnosticDescriptor descriptor, string filePath, params object[] arguments)
            => Create(descriptor, filePath, default, arguments);

        /// <summary>The Roslyn diagnostic, located at the JSON line/column of the bad value.</summary>
        public Diagnostic ToDiagnostic()
        {
            DiagnosticDescriptor descriptor = DiagnosticDescriptorTable.Find(Id);
            Location location = string.IsNullOrEmpty(FilePath) ? Location.None : Location.Create(FilePath, Span, Lines);
            var args = new object[Arguments.Count];
            for (int i = 0; i < args.Length; i++)
            {
                args[i] = Arguments[i];
            }

            return Diagnostic.Create(descriptor, location, args);
        }
    }
}
