using System.Collections.Generic;

namespace UNComp.Generators.Json
{
    /// <summary>
    /// One parsed JSON value with its source range and its JSON path (<c>$.layers[3].budgets[1]</c>), so every
    /// diagnostic can name both the place in the file and the field.
    /// </summary>
    internal sealed class JsonNode
    {
        private static readonly IReadOnlyList<JsonProperty> NoProperties = System.Array.Empty<JsonProperty>();
        private static readonly IReadOnlyList<JsonNode> NoItems = System.Array.Empty<JsonNode>();

        public JsonNode(JsonKind kind, string path, TextRange range, string text, IReadOnlyList<JsonProperty>? properties = null, IReadOnlyList<JsonNode>? items = null)
        {
            Kind = kind;
            Path = path;
            Range = range;
            Text = text;
            Properties = properties ?? NoProperties;
            Items = items ?? NoItems;
        }

        public JsonKind Kind { get; }

        /// <summary>JSON path of this value, e.g. <c>$.model.numLayers</c>.</summary>
        public string Path { get; }

        public TextRange Range { get; }

        /// <summary>Decoded string for strings; raw literal text for numbers, true, false and null.</summary>
        public string Text { get; }

        /// <summary>Members of an object, in file order.</summary>
        public IReadOnlyList<JsonProperty> Properties { get; }

        /// <summary>Elements of an array.</summary>
        public IReadOnlyList<JsonNode> Items { get; }

        /// <summary>True for a number literal without fraction or exponent.</summary>
        public bool IsIntegerLiteral
            => Kind == JsonKind.Number && Text.IndexOf('.') < 0 && Text.IndexOf('e') < 0 && Text.IndexOf('E') < 0;

        /// <summary>The member named <paramref name="name"/> (ordinal), or null.</summary>
        public JsonProperty? Find(string name)
        {
            foreach (JsonProperty property in Properties)
            {
                if (property.Name == name)
                {
                    return property;
                }
            }

            return null;
        }

        /// <summary>A short description of the kind for messages ("a string", "an array"...).</summary>
        public string Describe() => Kind switch
        {
            JsonKind.Object => "an object",
            JsonKind.Array => "an array",
            JsonKind.String => "a string",
            JsonKind.Number => IsIntegerLiteral ? "an integer" : "a number",
            JsonKind.True or JsonKind.False => "a boolean",
            _ => "null",
        };
    }
}
