namespace UNComp.Generators.Tests;

public class SmokeTests
{
    [Fact]
    public void GeneratorAssembly_Loads() => Assert.Equal("UNComp.Generators", typeof(UNComp.Generators.GeneratorInfoProbe).Assembly.GetName().Name);
}
