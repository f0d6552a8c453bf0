using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace StChat.Testing;

// The processes and files behind one cluster the tests own: <root>/data (PGDATA), <root>/sock, <root>/postgres.log.
internal sealed class PostgresInstance : IPostgresServer
{
    private const string Superuser = "postgres";
    private static readonly TimeSpan StartAgainTimeout = TimeSpan.FromSeconds(20);

    private readonly string _binDirectory;
    private readonly string _root;
    private readonly bool _runAsPostgresUser;

    private PostgresInstance(string binDirectory, string root, bool runAsPostgresUser)
    {
        _binDirectory = binDirectory;
        _root = root;
        _runAsPostgresUser = runAsPostgresUser;
    }

    public int Port { get; private set; }

    public string? ContainerId => null;

    public string AdminConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Superuser,
        Database = "postgres",
        IncludeErrorDetail = true,
    }.ConnectionString;

    private string DataDirectory => Path.Combine(_root, "data");

    private string SocketDirectory => Path.Combine(_root, "sock");

    private string LogFile => Path.Combine(_root, "postgres.log");

    public static async Task<PostgresInstance> CreateAsync(CancellationToken ct)
    {
        var binDirectory = PostgresBinaries.Locate();

        // initdb and postgres refuse to run as root; as root they run as the `postgres` user the package creates.
        var runAsPostgresUser = NativeMethods.GetEffectiveUserId() == 0;
        var instance = new PostgresInstance(binDirectory, await CreateRootAsync(runAsPostgresUser, ct), runAsPostgresUser);
        try
        {
            instance.StartReaper();
            await instance.RunCheckedAsync("initdb", ct,
                "-D", instance.DataDirectory, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions");

            // A random port can be taken by another process before postgres binds it; pick another one then.
            for (var attempt = 1; ; attempt++)
            {
                instance.Port = TestPorts.GetFreeTcpPort();
                var (exitCode, output) = await instance.PgCtlStartAsync(ct);
                if (exitCode == 0)
                {
                    return instance;
                }

                if (attempt == 5 || !instance.ReadLog().Contains("already in use", StringComparison.Ordinal))
                {
                    throw instance.StartFailure(exitCode, output);
                }
            }
        }
        catch
        {
            instance.Destroy();
            throw;
        }
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (ReadPostmasterPid() is null)
        {
            return;
        }

        await RunCheckedAsync("pg_ctl", ct, "stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60");
    }

    public async Task StartAgainAsync(CancellationToken ct)
    {
        // Right after a SIGKILL the orphaned backends may still hold the shared memory block, and postgres refuses to
        // start until they notice their postmaster is gone and exit; that takes a moment, so retry.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (exitCode, output) = await PgCtlStartAsync(ct);
            if (exitCode == 0)
            {
                return;
            }

            if (clock.Elapsed > StartAgainTimeout)
            {
                throw StartFailure(exitCode, output);
            }

            await Task.Delay(200, ct);
        }
    }

    public async Task KillAsync(CancellationToken ct)
    {
        if (ReadPostmasterPid() is not { } pid)
        {
            return;
        }

        try
        {
            using var postmaster = Process.GetProcessById(pid);
            postmaster.Kill();
        }
        catch (ArgumentException)
        {
            // Not running any more.
        }

        while (IsAlive(pid))
        {
            await Task.Delay(20, ct);
        }

        // A killed postmaster may stay a zombie when nothing reaps orphans (some container inits). postgres treats a
        // pid that still answers kill(pid, 0) as a running server, so the stale lock file has to go.
        if (Directory.Exists($"/proc/{pid}"))
        {
            File.Delete(Path.Combine(DataDirectory, "postmaster.pid"));
        }
    }

    // SIGSTOP to the postmaster and every backend: connections are still accepted by the kernel, but nothing answers.
    public Task PauseAsync(CancellationToken ct) => SignalServerAsync(NativeMethods.SigStop, ct);

    public Task UnpauseAsync(CancellationToken ct) => SignalServerAsync(NativeMethods.SigCont, ct);

    // Immediate mode still removes shared memory.
    public void Destroy()
    {
        if (ReadPostmasterPid() is { } pid)
        {
            // Stopped processes would not act on pg_ctl's signal.
            _ = SignalServerAsync(NativeMethods.SigCont, CancellationToken.None);

            var (exitCode, _) = Run("pg_ctl", "stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "10");
            if (exitCode != 0 && IsAlive(pid))
            {
                using var postmaster = Process.GetProcessById(pid);
                postmaster.Kill();
            }
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
    }

    // A crashed or abruptly ended test host leaves the cluster running; this stops it and removes its directory.
    private void StartReaper()
    {
        const string Script = """
            root="$1"; shift
            if [ -f "$root/data/postmaster.pid" ]; then "$@" >/dev/null 2>&1; fi
            rm -rf "$root"
            """;
        var (pgCtl, stopArgs) = CommandLine("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "10"]);
        ChildProcess.StartReaper(Script, [_root, pgCtl, .. stopArgs]);
    }

    private static async Task<string> CreateRootAsync(bool runAsPostgresUser, CancellationToken ct)
    {
        // The postgres user must be able to reach the directory, and $TMPDIR may sit under a private home.
        var parent = Path.GetTempPath();
        if (runAsPostgresUser && !TraversableByOthers(parent))
        {
            parent = "/tmp";
        }

        var root = Path.Combine(parent, $"stchat-pg-{Guid.NewGuid():N}"[..22]);
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(Path.Combine(root, "sock"));
        if (runAsPostgresUser)
        {
            var (exitCode, output) = await ChildProcess.RunAsync("chown", ["-R", $"{Superuser}:{Superuser}", root], root, ct);
            if (exitCode != 0)
            {
                Directory.Delete(root, recursive: true);
                throw new InvalidOperationException(
                    $"Could not hand {root} to the `{Superuser}` user (chown exited with {exitCode}): {output}\n" +
                    $"Running as root needs the `{Superuser}` OS user that the postgresql-15 package creates. {PostgresBinaries.InstallHint}");
            }
        }

        return root;
    }

    private static bool TraversableByOthers(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            if (!dir.UnixFileMode.HasFlag(UnixFileMode.OtherExecute))
            {
                return false;
            }
        }

        return true;
    }

    // The postmaster first on stop, so that it forks no new backend; its children first on continue, for the same reason.
    private Task SignalServerAsync(int signal, CancellationToken ct)
    {
        if (ReadPostmasterPid() is not { } postmaster)
        {
            throw new InvalidOperationException("The cluster is not running.");
        }

        var children = ChildrenOf(postmaster);
        int[] order = signal == NativeMethods.SigStop ? [postmaster, .. children] : [.. children, postmaster];
        foreach (var pid in order)
        {
            ct.ThrowIfCancellationRequested();
            if (NativeMethods.Kill(pid, signal) != 0 && IsAlive(pid))
            {
                throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}.");
            }
        }

        return Task.CompletedTask;
    }

    private static List<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var ppid = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
                if (ppid == parent.ToString(CultureInfo.InvariantCulture))
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
                // Exited while being listed.
            }
        }

        return children;
    }

    // A zombie has exited (its resources are free) even though /proc still lists it.
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    // fsync and full_page_writes are off because these clusters hold only test data and speed matters. That is safe
    // for fault tests too: they stop the server cleanly or SIGKILL the postmaster, and a killed process loses nothing
    // it already handed to the kernel; only an OS crash or power loss could corrupt the cluster. synchronous_commit
    // stays on: with it off, a commit returns before its WAL leaves shared memory, and a SIGKILL loses the commit,
    // which would make crash tests of exactly-once storage fail for the wrong reason.
    private Task<(int ExitCode, string Output)> PgCtlStartAsync(CancellationToken ct)
    {
        var options = string.Join(' ',
            "-c listen_addresses=127.0.0.1",
            $"-p {Port.ToString(CultureInfo.InvariantCulture)}",
            $"-k {SocketDirectory}",
            "-c fsync=off",
            "-c full_page_writes=off",
            "-c max_connections=300");
        return RunAsync("pg_ctl", ct, "start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options);
    }

    private async Task RunCheckedAsync(string tool, CancellationToken ct, params string[] args)
    {
        var (exitCode, output) = await RunAsync(tool, ct, args);
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Describe(tool, args)} exited with {exitCode}.\n{output}\nServer log ({LogFile}):\n{ReadLog()}\n" +
                $"If PostgreSQL cannot run here, set {PostgresCluster.ServerVariable} to a connection string for a server that may create databases.");
        }
    }

    private Task<(int ExitCode, string Output)> RunAsync(string tool, CancellationToken ct, params string[] args)
    {
        var (fileName, fullArgs) = CommandLine(tool, args);
        return ChildProcess.RunAsync(fileName, fullArgs, _root, ct);
    }

    private (int ExitCode, string Output) Run(string tool, params string[] args)
    {
        var (fileName, fullArgs) = CommandLine(tool, args);
        return ChildProcess.Run(fileName, fullArgs, _root);
    }

    private (string FileName, string[] Args) CommandLine(string tool, string[] args)
    {
        var path = Path.Combine(_binDirectory, tool);
        return _runAsPostgresUser
            ? (ExecutableLocator.FindOnPath("runuser") ?? "/usr/sbin/runuser", ["-u", Superuser, "--", path, .. args])
            : (path, args);
    }

    private string Describe(string tool, string[] args)
    {
        var (fileName, fullArgs) = CommandLine(tool, args);
        return string.Join(' ', [fileName, .. fullArgs]);
    }

    private InvalidOperationException StartFailure(int exitCode, string output) => new(
        $"PostgreSQL did not start on 127.0.0.1:{Port} (pg_ctl exited with {exitCode}).\n{output}\n" +
        $"Server log ({LogFile}):\n{ReadLog()}\n" +
        $"If PostgreSQL cannot run here, set {PostgresCluster.ServerVariable} to a connection string for a server that may " +
        $"create databases. {PostgresBinaries.InstallHint}");

    private string ReadLog()
    {
        try
        {
            return File.ReadAllText(LogFile);
        }
        catch (IOException)
        {
            return "(no log written)";
        }
    }

    private int? ReadPostmasterPid()
    {
        try
        {
            var firstLine = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(firstLine, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
