namespace UNComp.Runtime.Profiles;

/// <summary>A profile file could not be read, parsed or validated. The message names the file, the JSON path(s) and the fix.</summary>
public sealed class ProfileLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProfileLoadException(string file, string message, IReadOnlyList<ProfileProblem>? problems = null, Exception? inner = null)
        : base(message, inner)
    {
        File = file;
        Problems = problems ?? [];
    }

    /// <summary>Creates the exception with a message only.</summary>
    public ProfileLoadException()
        : this(string.Empty, "The profile could not be loaded.")
    {
    }

    /// <summary>Creates the exception with a message only.</summary>
    public ProfileLoadException(string message)
        : this(string.Empty, message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ProfileLoadException(string message, Exception inner)
        : this(string.Empty, message, null, inner)
    {
    }

    /// <summary>The profile file (or source name) concerned.</summary>
    public string File { get; }

    /// <summary>Every validation problem, when validation failed.</summary>
    public IReadOnlyList<ProfileProblem> Problems { get; }
}
