namespace UNComp.Runtime.Profiles;

/// <summary>One validation problem of a profile.</summary>
/// <param name="Path">JSON path of the offending value, e.g. <c>$.layers[3].budgets[1]</c>.</param>
/// <param name="Message">What is wrong and how to fix it.</param>
public sealed record ProfileProblem(string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Message}";
}
