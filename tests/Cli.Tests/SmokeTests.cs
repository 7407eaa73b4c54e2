namespace UNComp.Cli.Tests;

public class SmokeTests
{
    [Fact]
    public void Main_WithHelp_ReturnsZeroAndListsCommands()
    {
        var output = new StringWriter();
        int code = Program.Invoke(["--help"], output, new StringWriter());
        Assert.Equal(0, code);
        Assert.Contains("run", output.ToString());
        Assert.Contains("bench", output.ToString());
    }

    [Fact]
    public void Main_WithNoCommand_ReturnsNonZero() => Assert.NotEqual(0, Program.Invoke([], new StringWriter(), new StringWriter()));
}
