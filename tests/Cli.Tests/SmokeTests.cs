namespace UNComp.Cli.Tests;

public class SmokeTests
{
    [Fact]
    public void Main_WithNoArguments_ReturnsZero() => Assert.Equal(0, Program.Main([]));
}
