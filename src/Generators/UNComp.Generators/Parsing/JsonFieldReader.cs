using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using UNComp.Generators.Diagnostics;
using UNComp.Generators.Json;

namespace UNComp.Generators.Parsing
{
    /// <summary>
    /// Typed access to JSON members that reports a missing field (UNC0003) or a wrong type (UNC0004) at the right
    /// place and returns null, so the parser can keep going and report every problem of a profile at once.
    /// </summary>
    internal sealed class JsonFieldReader
    {
        private readonly string _filePath;
        private readonly List<DiagnosticInfo> _diagnostics = new List<DiagnosticInfo>();

        public JsonFieldReader(string filePath) => _filePath = filePath;

        public int ErrorCount { get; private set; }

        public IReadOnlyList<DiagnosticInfo> Diagnostics => _diagnostics;

        public void Report(DiagnosticDescriptor descriptor, TextRange range, params object[] arguments)
        {
            if (descriptor.DefaultSeverity == DiagnosticSeverity.Error)
            {
                ErrorCount++;
            }

            _diagnostics.Add(DiagnosticInfo.Create(descriptor, _filePath, range, arguments));
        }

        public void Report(DiagnosticDescriptor descriptor, JsonNode at, params object[] arguments)
            => Report(descriptor, at.Kind == JsonKind.Object || at.Kind == JsonKind.Array ? at.Range.FirstCharacter() : at.Range, arguments);

        /// <summary>The member's value, or null after reporting UNC0003 at the object's opening brace.</summary>
        public JsonNode? Required(JsonNode parent, string name)
        {
            JsonProperty? property = parent.Find(name);
            if (property is null)
            {
                Report(DiagnosticDescriptors.MissingField, parent.Range.FirstCharacter(), parent.Path, name);
                return null;
            }

            return property.Value;
        }

        public JsonNode? Object(JsonNode parent, string name) => Kind(Required(parent, name), JsonKind.Object, "an object");

        public JsonNode? Array(JsonNode parent, string name) => Kind(Required(parent, name), JsonKind.Array, "an array");

        public string? String(JsonNode parent, string name) => AsString(Required(parent, name));

        /// <summary>An optional string member: the default when absent, null when present with a wrong type.</summary>
        public string? OptionalString(JsonNode parent, string name, string defaultValue)
        {
            JsonProperty? property = parent.Find(name);
            return property is null ? defaultValue : AsString(property.Value);
        }

        public bool? Bool(JsonNode parent, string name) => AsBool(Required(parent, name));

        public bool? OptionalBool(JsonNode parent, string name, bool defaultValue)
        {
            JsonProperty? property = parent.Find(name);
            return property is null ? defaultValue : AsBool(property.Value);
        }

        public int? Int(JsonNode parent, string name) => AsInt(Required(parent, name));

        public int? OptionalInt(JsonNode parent, string name, int defaultValue)
        {
            JsonProperty? property = parent.Find(name);
            return property is null ? defaultValue : AsInt(property.Value);
        }

        public long? OptionalLong(JsonNode parent, string name, long defaultValue)
        {
            JsonProperty? property = parent.Find(name);
            if (property is null)
            {
                return defaultValue;
            }

            JsonNode node = property.Value;
            if (node.IsIntegerLiteral && long.TryParse(node.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            {
                return value;
            }

            Report(DiagnosticDescriptors.WrongType, node, node.Path, "an integer", node.Describe());
            return null;
        }

        public double? Number(JsonNode parent, string name) => AsNumber(Required(parent, name));

        public JsonNode? Kind(JsonNode? node, JsonKind kind, string expected)
        {
            if (node is null)
            {
                return null;
            }

            if (node.Kind != kind)
            {
                Report(DiagnosticDescriptors.WrongType, node, node.Path, expected, node.Describe());
                return null;
            }

            return node;
        }

        public string? AsString(JsonNode? node) => Kind(node, JsonKind.String, "a string")?.Text;

        public bool? AsBool(JsonNode? node)
        {
            if (node is null)
            {
                return null;
            }

            if (node.Kind == JsonKind.True || node.Kind == JsonKind.False)
            {
                return node.Kind == JsonKind.True;
            }

            Report(DiagnosticDescriptors.WrongType, node, node.Path, "a boolean", node.Describe());
            return null;
        }

        public int? AsInt(JsonNode? node)
        {
            if (node is null)
            {
                return null;
            }

            if (!node.IsIntegerLiteral)
            {
                Report(DiagnosticDescriptors.WrongType, node, node.Path, "an integer", node.Describe());
                return null;
            }

            if (!int.TryParse(node.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            {
                Report(DiagnosticDescriptors.SettingOutOfRange, node, node.Path, node.Text + " does not fit a 32-bit integer");
                return null;
            }

            return value;
        }

        public double? AsNumber(JsonNode? node)
        {
            if (node is null)
            {
                return null;
            }

            if (node.Kind != JsonKind.Number)
            {
                Report(DiagnosticDescriptors.WrongType, node, node.Path, "a number", node.Describe());
                return null;
            }

            double value = double.Parse(node.Text, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (double.IsInfinity(value))
            {
                Report(DiagnosticDescriptors.SettingOutOfRange, node, node.Path, node.Text + " is too large for a double");
                return null;
            }

            return value;
        }

        /// <summary>Every element as an integer, or null when any element is wrong (each is reported).</summary>
        public int[]? IntArray(JsonNode? array)
        {
            if (array is null)
            {
                return null;
            }

            var values = new int[array.Items.Count];
            bool ok = true;
            for (int i = 0; i < values.Length; i++)
            {
                int? value = AsInt(array.Items[i]);
                ok &= value.HasValue;
                values[i] = value ?? 0;
            }

            return ok ? values : null;
        }

        /// <summary>Every element as a number, or null when any element is wrong (each is reported).</summary>
        public double[]? NumberArray(JsonNode? array)
        {
            if (array is null)
            {
                return null;
            }

            var values = new double[array.Items.Count];
            bool ok = true;
            for (int i = 0; i < values.Length; i++)
            {
                double? value = AsNumber(array.Items[i]);
                ok &= value.HasValue;
                values[i] = value ?? 0;
            }

            return ok ? values : null;
        }
    }
}
