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
        // No command: print help and succeed (as `uncomp --help`).
        root.SetAction(_ => root.Parse("--help").Invoke());
        return root.Parse(args).Invoke();
    }
}
