using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace UNComp.Generators.Tests.Infrastructure;

/// <summary>
/// Compares generated source with the checked-in <c>Snapshots/NAME.verified.cs</c>. On a mismatch (or when no
/// verified file exists yet) it writes <c>NAME.received.cs</c> next to it and fails with a unified diff.
/// Accepting a change = renaming the received file over the verified one (see docs/generator.md).
/// </summary>
internal static class SnapshotVerifier
{
    private const int Context = 3;

    public static void Verify(string name, string actual)
    {
        actual = actual.ReplaceLineEndings("\n");
        string verifiedPath = Path.Combine(TestPaths.Snapshots, name + ".verified.cs");
        string receivedPath = Path.Combine(TestPaths.Snapshots, name + ".received.cs");
        string? verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).ReplaceLineEndings("\n") : null;
        if (verified == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual);
        string accept = $"accept with: mv {Relative(receivedPath)} {Relative(verifiedPath)}";
        if (verified is null)
        {
            Assert.Fail($"No snapshot {Relative(verifiedPath)} yet; wrote {Relative(receivedPath)}. Review it, then {accept}");
        }

        Assert.Fail($"Generated source differs from {Relative(verifiedPath)}; wrote {Relative(receivedPath)}. If the change is intended, {accept}\n"
            + UnifiedDiff(verified, actual, Relative(verifiedPath), Relative(receivedPath)));
    }

    /// <summary>A unified diff (<c>@@ -a,n +b,m @@</c> hunks with 3 lines of context) of two texts.</summary>
    public static string UnifiedDiff(string expected, string actual, string expectedName, string actualName)
    {
        List<DiffPiece> lines = new InlineDiffBuilder(new DiffPlex.Differ()).BuildDiffModel(expected, actual, ignoreWhitespace: false).Lines;
        var output = new StringBuilder().Append("--- ").Append(expectedName).Append('\n').Append("+++ ").Append(actualName).Append('\n');
        int i = 0;
        while (i < lines.Count)
        {
            if (lines[i].Type == ChangeType.Unchanged)
            {
                i++;
                continue;
            }

            // Grow the hunk while changes are within 2 × context lines of each other.
            int start = Math.Max(0, i - Context);
            int end = i;
            while (end < lines.Count)
            {
                int next = end;
                while (next < lines.Count && lines[next].Type == ChangeType.Unchanged)
                {
                    next++;
                }

                if (next == lines.Count || next - end > 2 * Context)
                {
                    break;
                }

                end = next + 1;
            }

            end = Math.Min(lines.Count, end + Context);
            AppendHunk(output, lines, start, end);
            i = end;
        }

        return output.ToString();
    }

    private static void AppendHunk(StringBuilder output, List<DiffPiece> lines, int start, int end)
    {
        int oldLine = 1 + lines.Take(start).Count(l => l.Type != ChangeType.Inserted);
        int newLine = 1 + lines.Take(start).Count(l => l.Type != ChangeType.Deleted);
        IEnumerable<DiffPiece> hunk = lines.Skip(start).Take(end - start);
        int oldCount = hunk.Count(l => l.Type != ChangeType.Inserted);
        int newCount = hunk.Count(l => l.Type != ChangeType.Deleted);
        output.Append($"@@ -{oldLine},{oldCount} +{newLine},{newCount} @@\n");
        foreach (DiffPiece line in hunk)
        {
            char mark = line.Type switch
            {
                ChangeType.Inserted => '+',
                ChangeType.Deleted => '-',
                _ => ' ',
            };
            output.Append(mark).Append(line.Text).Append('\n');
        }
    }

    private static string Relative(string path) => Path.GetRelativePath(TestPaths.RepositoryRoot, path);
}
