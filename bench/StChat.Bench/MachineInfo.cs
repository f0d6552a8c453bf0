using System.Diagnostics;
using System.Runtime.InteropServices;

namespace StChat.Bench;

internal sealed record MachineInfo
{
    public int Cores { get; init; }

    public string Cpu { get; init; } = "";

    public string Memory { get; init; } = "";

    public string Kernel { get; init; } = "";

    public string DotNet { get; init; } = "";

    public string Node { get; init; } = "";

    // Empty in results saved before the Bun peer existed.
    public string Bun { get; init; } = "";

    public string NatsServer { get; init; } = "";

    public string Postgres { get; init; } = "";

    public string LoadBefore { get; init; } = "";

    public static MachineInfo Collect(string? bun) => new()
    {
        Cores = Environment.ProcessorCount,
        Cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown",
        Memory = File.ReadLines("/proc/meminfo").First().Split(':', 2)[1].Trim(),
        Kernel = Run("uname", "-sr"),
        DotNet = RuntimeInformation.FrameworkDescription,
        Node = Run("node", "--version"),
        Bun = bun is null ? "not found" : Run(bun, "--version"),
        NatsServer = Run("nats-server", "--version"),
        Postgres = Run("/usr/lib/postgresql/15/bin/postgres", "--version"),
        LoadBefore = File.ReadAllText("/proc/loadavg").Trim(),
    };

    private static string Run(string file, string args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, UseShellExecute = false })!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "not found";
        }
    }
}
