using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using StChat.Testing;

namespace StChat.Web.Tests.Infrastructure;

// `./stchat up --nginx` in a copy of the checkout under a private (0700) directory, as root would run it from
// /root/stchat, on free ports. The copy includes the build output of src/ so that `up` only rebuilds what moved.
public sealed class UpProcess : IAsyncDisposable
{
    private static readonly string[] SkippedNames = [".git", ".stchat", "node_modules", "TestResults"];

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private UpProcess(Process process, DirectoryInfo privateDir, string checkout)
    {
        _process = process;
        PrivateDirectory = privateDir;
        Checkout = checkout;
    }

    public DirectoryInfo PrivateDirectory { get; }

    public string Checkout { get; }

    // Where the script keeps its data when the checkout is private: /var/lib/stchat/<first 12 hex of sha256(path)>.
    public string ExpectedDataDirectory =>
        "/var/lib/stchat/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Checkout)))[..12];

    public int NginxPort { get; } = TestPorts.GetFreeTcpPort();

    public int[] Ports { get; private init; } = [];

    public Process Process => _process;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    // `upArguments`: what follows `up` (by default --nginx --rate 1).
    public static UpProcess Start(IReadOnlyList<string>? upArguments = null)
    {
        var privateDir = Directory.CreateTempSubdirectory("stchat-up-");
        var checkout = Path.Combine(privateDir.FullName, "stchat");
        Copy(new DirectoryInfo(Repository.Root), checkout, withBuildOutput: false);

        var info = new ProcessStartInfo("/usr/bin/env")
        {
            WorkingDirectory = checkout,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // A terminal's Ctrl-C reaches a process whose SIGINT is not ignored; a test host started in the background
        // may pass on an ignored SIGINT, which bash then cannot trap.
        foreach (var arg in (string[])["--default-signal=INT", Path.Combine(checkout, "stchat"), "up", .. upArguments ?? ["--nginx", "--rate", "1"]])
        {
            info.ArgumentList.Add(arg);
        }

        int[] ports = [TestPorts.GetFreeTcpPort(), TestPorts.GetFreeTcpPort(), TestPorts.GetFreeTcpPort()];
        info.Environment["STCHAT_CHAT_PORT"] = ports[0].ToString(CultureInfo.InvariantCulture);
        info.Environment["STCHAT_NATS_PORT"] = ports[1].ToString(CultureInfo.InvariantCulture);
        info.Environment["STCHAT_PG_PORT"] = ports[2].ToString(CultureInfo.InvariantCulture);
        foreach (var name in (string[])["STCHAT_DATA", "Nats__Url", "ConnectionStrings__Postgres"])
        {
            info.Environment.Remove(name);
        }

        // No compiler server left behind by the build: every process still running in the checkout afterwards is a leak.
        info.Environment["UseSharedCompilation"] = "false";

        var process = new Process { StartInfo = info };
        var up = new UpProcess(process, privateDir, checkout) { Ports = ports };
        info.Environment["STCHAT_NGINX_PORT"] = up.NginxPort.ToString(CultureInfo.InvariantCulture);
        process.OutputDataReceived += (_, e) => up.Append(e.Data);
        process.ErrorDataReceived += (_, e) => up.Append(e.Data);
        process.Exited += (_, _) => up._up.TrySetException(new InvalidOperationException($"`up` exited with {process.ExitCode}:\n{up.Output}"));
        process.EnableRaisingEvents = true;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return up;
    }

    // Completes when `up` printed that everything is up; fails when it exits first.
    public async Task WaitUntilUpAsync(TimeSpan timeout)
    {
        try
        {
            await _up.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"`up` did not come up within {timeout.TotalMinutes:0} min:\n{Output}");
        }
    }

    // The value of an "  Name:   value" line of the summary `up` prints.
    public string SummaryValue(string name)
    {
        var prefix = $"  {name}:";
        var line = Output.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"`up` printed no {name} line:\n{Output}");
        return line[prefix.Length..].Trim().Split(' ')[0];
    }

    // Every process, other than this one, running in or naming the checkout or the data directory.
    public IReadOnlyList<string> ProcessesLeft()
    {
        string[] roots = [Checkout, ExpectedDataDirectory];
        var left = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                var cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget ?? "";
                if (roots.Any(r => cmdline.Contains(r, StringComparison.Ordinal) || cwd == r || cwd.StartsWith(r + "/", StringComparison.Ordinal)))
                {
                    left.Add($"{pid} (in {cwd}): {cmdline}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was looked at.
            }
        }

        return left;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        KillPostgresLeftBehind();
        PrivateDirectory.Delete(recursive: true);
        if (Directory.Exists(ExpectedDataDirectory))
        {
            Directory.Delete(ExpectedDataDirectory, recursive: true);
        }
    }

    // pg_ctl starts PostgreSQL outside the script's process tree; after a failed run it may still be up.
    private void KillPostgresLeftBehind()
    {
        var pidFile = Path.Combine(ExpectedDataDirectory, "postgres", "data", "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).First(), out var pid))
        {
            try
            {
                using var postmaster = Process.GetProcessById(pid);
                postmaster.Kill();
                postmaster.WaitForExit(TimeSpan.FromSeconds(30));
            }
            catch (ArgumentException)
            {
                // Not running.
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("Press Ctrl-C", StringComparison.Ordinal))
        {
            _up.TrySetResult();
        }
    }

    // The working tree without .git, .stchat/ and node_modules/; build output (bin/, obj/) only of src/, which
    // spares `up` part of its build.
    private static void Copy(DirectoryInfo source, string target, bool withBuildOutput)
    {
        Directory.CreateDirectory(target);
        foreach (var file in source.EnumerateFiles())
        {
            if (!SkippedNames.Contains(file.Name, StringComparer.Ordinal))
            {
                file.CopyTo(Path.Combine(target, file.Name));
            }
        }

        foreach (var dir in source.EnumerateDirectories())
        {
            var isBuildOutput = dir.Name is "bin" or "obj";
            if (SkippedNames.Contains(dir.Name, StringComparer.Ordinal) || (isBuildOutput && !withBuildOutput))
            {
                continue;
            }

            var inSrc = withBuildOutput || (dir.Name == "src" && source.FullName == Repository.Root);
            Copy(dir, Path.Combine(target, dir.Name), inSrc);
        }
    }
}
