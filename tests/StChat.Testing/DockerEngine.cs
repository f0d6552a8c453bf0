using System.Globalization;

namespace StChat.Testing;

// The Docker engine the fixtures run their PostgreSQL containers on, driven through the docker CLI where
// Testcontainers has no call for it (SIGKILL, listing by label). Every container is labelled with its owner (host,
// pid and start time of the test process), so that the containers of a crashed run can be told from those of a run
// still going on in parallel.
public static class DockerEngine
{
    internal const string Label = "org.stchat.test";
    internal const string OwnerLabel = "org.stchat.test.owner";

    /// <summary>Set to <c>false</c> to use the local PostgreSQL binaries even when Docker answers.</summary>
    public const string SwitchVariable = "STCHAT_TEST_DOCKER";

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(20);
    private static readonly Lazy<string?> Unavailable = new(Probe);

    // Testcontainers reads these once; set here too, so that a plain `dotnet test` behaves like `./stchat test`.
    // Engines older than Testcontainers' default API version (Debian's 20.10) answer only to 1.41; without Ryuk
    // the fixtures remove their own containers; and tests reach containers only through loopback.
    private static readonly (string Name, string Value)[] TestcontainersDefaults =
    [
        ("DOCKER_API_VERSION", "1.41"),
        ("TESTCONTAINERS_RYUK_DISABLED", "true"),
        ("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1"),
    ];

    /// <summary>True when a Docker engine answers; the first call also sweeps containers left by crashed runs.</summary>
    public static bool IsAvailable => Unavailable.Value is null;

    /// <summary>Why the engine is not used, or null when it is.</summary>
    public static string? WhyUnavailable => Unavailable.Value;

    internal static string Owner { get; } = string.Join('/', Environment.MachineName, Environment.ProcessId, ProcessStartTicks(Environment.ProcessId));

    internal static async Task<string> RunCheckedAsync(IEnumerable<string> args, CancellationToken ct)
    {
        var list = args.ToList();
        var (exitCode, output) = await ChildProcess.RunAsync(Cli(), list, "/", ct);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', list)} exited with {exitCode}: {output}");
        }

        return output.Trim();
    }

    /// <summary>Removes a container and its anonymous volumes, paused or not.</summary>
    internal static void Remove(string containerId) => ChildProcess.Run(Cli(), ["rm", "-f", "-v", containerId], "/");

    // Removes the container once this process is gone, however it ends.
    internal static void RemoveWhenProcessExits(string containerId) =>
        ChildProcess.StartReaper("\"$@\"", [Cli(), "rm", "-f", "-v", containerId]);

    private static string Cli() => ExecutableLocator.FindOnPath("docker") ?? "docker";

    private static string? Probe()
    {
        if (Environment.GetEnvironmentVariable(SwitchVariable) is { } value
            && (value.Equals("false", StringComparison.OrdinalIgnoreCase) || value == "0"))
        {
            return $"{SwitchVariable}={value}";
        }

        if (ExecutableLocator.FindOnPath("docker") is null)
        {
            return "the docker CLI is not on PATH";
        }

        foreach (var (name, defaultValue) in TestcontainersDefaults)
        {
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            {
                Environment.SetEnvironmentVariable(name, defaultValue);
            }
        }

        using var timeout = new CancellationTokenSource(ProbeTimeout);
        try
        {
            var (exitCode, output) = ChildProcess.RunAsync(Cli(), ["version", "--format", "{{.Server.Version}}"], "/", timeout.Token).GetAwaiter().GetResult();
            if (exitCode != 0)
            {
                return $"`docker version` exited with {exitCode}: {output.Trim()}";
            }
        }
        catch (OperationCanceledException)
        {
            return $"`docker version` did not answer within {ProbeTimeout.TotalSeconds:0} s";
        }

        SweepStale();
        return null;
    }

    // Containers whose owning test process has ended, on this machine; Ryuk would have removed them.
    internal static void SweepStale()
    {
        var (exitCode, output) = ChildProcess.Run(Cli(),
            ["ps", "-a", "--filter", $"label={Label}", "--format", $"{{{{.ID}}}} {{{{.Label \"{OwnerLabel}\"}}}}"], "/");
        if (exitCode != 0)
        {
            return;
        }

        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length == 2 && IsStale(parts[1]))
            {
                Remove(parts[0]);
            }
        }
    }

    private static bool IsStale(string owner)
    {
        var parts = owner.Split('/');
        if (parts.Length != 3 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var pid))
        {
            return false;
        }

        return ProcessStartTicks(pid) != parts[2];
    }

    // Field 22 of /proc/<pid>/stat: with the pid, it names one process even after the pid is reused.
    private static string ProcessStartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        }
        catch (IOException)
        {
            return "gone";
        }
    }
}
