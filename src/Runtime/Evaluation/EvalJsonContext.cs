using System.Text.Json.Serialization;

namespace UNComp.Runtime.Evaluation;

/// <summary>Source-generated JSON for <see cref="EvalReport"/> (no reflection: trimming/AOT safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EvalReport))]
[JsonSerializable(typeof(TaskTemplates))]
[JsonSerializable(typeof(DiagnosisReport))]
public sealed partial class EvalJsonContext : JsonSerializerContext;
