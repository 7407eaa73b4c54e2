using System.Reflection;

namespace UNComp.Generators.Tests.Infrastructure;

/// <summary>Locations in the source tree (not bin/): input profiles and snapshots live beside the tests.</summary>
internal static class TestPaths
{
    public static string ProjectDirectory { get; } = typeof(TestPaths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "TestProjectDirectory").Value!;

    public static string RepositoryRoot => Path.GetFullPath(Path.Combine(ProjectDirectory, "..", ".."));

    public static string Profiles => Path.Combine(ProjectDirectory, "Profiles");

    public static string Snapshots => Path.Combine(ProjectDirectory, "Snapshots");

    public static string ReadProfile(string fileName) => File.ReadAllText(Path.Combine(Profiles, fileName)).ReplaceLineEndings("\n");
}
