namespace UNComp.Generators.Json
{
    /// <summary>One member of a JSON object: its name, where the name sits, and its value.</summary>
    internal sealed class JsonProperty
    {
        public JsonProperty(string name, TextRange nameRange, JsonNode value)
        {
            Name = name;
            NameRange = nameRange;
            Value = value;
        }

        public string Name { get; }

        public TextRange NameRange { get; }

        public JsonNode Value { get; }
    }
}
