namespace UNComp.Runtime.Compression.Methods;

/// <summary>
/// The one registry of method names: <c>uncomp eval --methods</c>, the eval runner and its reports resolve names
/// here. Order = the order reports list methods in.
/// </summary>
public static class CompressionMethods
{
    /// <summary>Every method, full cache first.</summary>
    public static IReadOnlyList<CompressionMethod> All { get; } =
    [
        new FullMethod(),
        new UncompMethod(),
        new UncompMethod(hiddenStates: false),
        new SnapKvMethod(),
        new PyramidKvMethod(),
        new StreamingLlmMethod(),
        new H2OMethod(),
        new KnormMethod(),
    ];

    /// <summary>The methods <c>uncomp eval</c> compares when none are named: all but <c>uncomp-kv</c> and <c>knorm</c>.</summary>
    public static IReadOnlyList<string> Compared { get; } = ["full", "uncomp", "snapkv", "pyramidkv", "streamingllm", "h2o"];

    /// <summary>Every method name.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(m => m.Name)];

    /// <summary>The method called <paramref name="name"/> (ordinal, case-sensitive), or false.</summary>
    public static bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CompressionMethod? method)
    {
        method = All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal));
        return method is not null;
    }

    /// <summary>The method called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such method; the message lists the known names.</exception>
    public static CompressionMethod Get(string name) =>
        TryGet(name, out var method) ? method : throw new ArgumentException($"unknown method '{name}'; use one of: {string.Join(", ", Names)}.", nameof(name));
}
