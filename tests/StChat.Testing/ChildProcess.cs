using System.Diagnostics;

namespace StChat.Testing;

// Runs the command-line tools the fixtures drive (pg_ctl, docker, setsid) with their output collected in order.
internal static class ChildProcess
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> args, string workingDirectory, CancellationToken ct)
    {
        using var process = Start(fileName, args, workingDirectory, out var log);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, log.ToString());
    }

    public static (int ExitCode, string Output) Run(string fileName, IEnumerable<string> args, string workingDirectory)
    {
        using var process = Start(fileName, args, workingDirectory, out var log);
        process.WaitForExit();
        return (process.ExitCode, log.ToString());
    }

    // vstest kills the test host about 100 ms after the last test, often before ProcessExit handlers finish, and a
    // crashed host runs none. A detached shell outlives the host and cleans up after it: the script gets the host's
    // pid as $1, then the given arguments.
    public static void StartReaper(string script, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        var body = "exec </dev/null >/dev/null 2>&1\npid=\"$1\"; shift\nwhile kill -0 \"$pid\" 2>/dev/null; do sleep 1; done\n" + script;
        foreach (var arg in (string[])["--fork", "sh", "-c", body, "sh", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args])
        {
            info.ArgumentList.Add(arg);
        }

        using var setsid = Process.Start(info) ?? throw new InvalidOperationException("Could not start setsid.");
        setsid.StandardInput.Close();
        setsid.WaitForExit();
    }

    private static Process Start(string fileName, IEnumerable<string> args, string workingDirectory, out ProcessLog log)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        log = new ProcessLog();
        log.Attach(process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
