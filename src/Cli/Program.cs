using System.CommandLine;
using UNComp.Cli.Commands;

namespace UNComp.Cli;

internal static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("uncomp: calibrate, inspect, run and evaluate UNComp-compressed models.");
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        return root.Parse(args).Invoke();
    }
}
