using System.CommandLine;
using UNComp.Cli.Commands;

namespace UNComp.Cli;

/// <summary>The <c>uncomp</c> entry point. Each command lives in <c>Commands/*Command.cs</c> with a static <c>Create()</c>.</summary>
internal static class Program
{
    public static int Main(string[] args) => Invoke(args, Console.Out, Console.Error);

    /// <summary>Parses and runs <paramref name="args"/>, writing to the given streams (tests pass StringWriters).</summary>
    internal static int Invoke(string[] args, TextWriter output, TextWriter error)
    {
        var root = CreateRootCommand();
        var config = new InvocationConfiguration { Output = output, Error = error };
        return root.Parse(args).Invoke(config);
    }

    internal static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("uncomp: UNComp KV-cache compression for Llama-family models — calibrate, inspect, run, eval, bench, serve.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(CalibrateCommand.Create());
        root.Subcommands.Add(RecalibrateCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        return root;
    }
}
