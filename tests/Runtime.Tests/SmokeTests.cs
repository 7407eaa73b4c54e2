namespace UNComp.Runtime.Tests;

public class SmokeTests
{
    [Fact]
    public void ProfileFormat_IsVersionOne() => Assert.Equal("uncomp-profile/1", RuntimeInfo.ProfileFormat);
}
