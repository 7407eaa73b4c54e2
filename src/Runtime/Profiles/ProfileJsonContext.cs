using System.Text.Json.Serialization;

namespace UNComp.Runtime.Profiles;

/// <summary>Source-generated (reflection-free) System.Text.Json metadata for reading profiles.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(UncompProfile))]
[JsonSerializable(typeof(string))]
public sealed partial class ProfileJsonContext : JsonSerializerContext;
