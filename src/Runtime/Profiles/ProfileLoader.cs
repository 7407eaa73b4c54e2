using System.Text.Json;

namespace UNComp.Runtime.Profiles;

/// <summary>Reads and validates <c>*.uncomp.json</c> profiles.</summary>
public static class ProfileLoader
{
    /// <summary>Reads, parses and validates the profile at <paramref name="path"/>.</summary>
    /// <exception cref="ProfileLoadException">The file is missing, is not valid JSON of this format, or breaks a rule; the message lists every problem.</exception>
    public static UncompProfile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProfileLoadException(path, $"{path}: cannot read the profile ({e.Message}). Fix: pass the path of an existing *.uncomp.json file (uncomp calibrate writes one).", null, e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses and validates profile JSON; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="ProfileLoadException">Invalid JSON or a rule violation.</exception>
    public static UncompProfile Parse(string json, string sourceName = "<profile>")
    {
        var profile = ParseUnvalidated(json, sourceName);
        var problems = ProfileValidator.Validate(profile);
        if (problems.Count > 0)
        {
            var lines = string.Join(Environment.NewLine, problems.Select(p => "  " + p));
            throw new ProfileLoadException(sourceName,
                $"{sourceName}: {problems.Count} problem(s) in the profile:{Environment.NewLine}{lines}{Environment.NewLine}Fix the values above (rules: docs/profile-format.md), or re-create the profile with uncomp calibrate.",
                problems);
        }

        return profile;
    }

    /// <summary>Parses profile JSON without the rule checks (for tools that report problems themselves).</summary>
    /// <exception cref="ProfileLoadException">The text is not JSON of the profile's shape.</exception>
    public static UncompProfile ParseUnvalidated(string json, string sourceName = "<profile>")
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize(json, ProfileJsonContext.Default.UncompProfile)
                ?? throw new ProfileLoadException(sourceName, $"{sourceName}: the file holds JSON null; a profile is an object (docs/profile-format.md).");
        }
        catch (JsonException e)
        {
            string where = e.Path is null ? "$" : e.Path;
            string line = e.LineNumber is long l ? $" (line {l + 1}, byte {e.BytePositionInLine + 1})" : string.Empty;
            throw new ProfileLoadException(sourceName,
                $"{sourceName}: invalid profile at {where}{line}: {e.Message} Fix: match the shape of docs/profile-format.md (schema profiles/uncomp-profile-1.schema.json).",
                [new ProfileProblem(where, e.Message)], e);
        }
    }
}
