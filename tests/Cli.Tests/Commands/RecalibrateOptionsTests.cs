namespace UNComp.Cli.Tests.Commands;

public class RecalibrateOptionsTests
{
    [Fact]
    public void Recalibrate_TakesMeasurementSettingsFromTheProfile_OffersNoKOrMatrixOption()
    {
        var recalibrate = Program.CreateRootCommand().Subcommands.Single(c => c.Name == "recalibrate");
        var names = recalibrate.Options.Select(o => o.Name).ToArray();
        Assert.Contains("--samples", names);
        Assert.DoesNotContain("--k", names);
        Assert.DoesNotContain("--matrix", names);
        Assert.DoesNotContain("--pre-rope", names);
    }

    [Fact]
    public void Calibrate_OffersTheMeasurementOptions()
    {
        var calibrate = Program.CreateRootCommand().Subcommands.Single(c => c.Name == "calibrate");
        var names = calibrate.Options.Select(o => o.Name).ToArray();
        Assert.Contains("--k", names);
        Assert.Contains("--matrix", names);
    }
}
