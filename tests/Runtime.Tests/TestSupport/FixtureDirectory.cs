namespace UNComp.Runtime.Tests.TestSupport;

/// <summary>Finds a folder of the repository (e.g. tests/fixtures/tokenizers) above the test binaries.</summary>
internal static class FixtureDirectory
{
    public static string Find(params string[] relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine([dir.FullName, .. relative]);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(string.Join('/', relative) + " not found above " + AppContext.BaseDirectory);
    }
}
