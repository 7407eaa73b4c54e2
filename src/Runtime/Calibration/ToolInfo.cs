using System.Globalization;

namespace UNComp.Runtime.Calibration;

/// <summary>Tool name and time stamps written into profiles.</summary>
public static class ToolInfo
{
    /// <summary><c>uncomp &lt;version&gt;</c>.</summary>
    public static string Name { get; } = "uncomp " + (typeof(ToolInfo).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0");

    /// <summary>The current UTC time as ISO 8601 with seconds and a trailing Z.</summary>
    public static string NowUtc() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
