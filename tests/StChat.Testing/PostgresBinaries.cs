using System.Diagnostics;

namespace StChat.Testing;

internal static class PostgresBinaries
{
    private const string DebianDefault = "/usr/lib/postgresql/15/bin";

    public const string InstallHint =
        "Install the PostgreSQL 15 server with `sudo apt-get install postgresql-15`, run the tests through " +
        "`./stchat test` (it installs it when run as root), or set STCHAT_TEST_POSTGRES to an Npgsql connection " +
        "string for an existing server whose user may create databases.";

    // pg_config knows where a non-Debian install put its binaries; Debian keeps the server outside PATH.
    public static string Locate()
    {
        var candidates = new List<string>();
        if (FromPgConfig() is { } fromPgConfig)
        {
            candidates.Add(fromPgConfig);
        }

        candidates.Add(DebianDefault);
        if (ExecutableLocator.FindOnPath("initdb") is { } onPath)
        {
            candidates.Add(Path.GetDirectoryName(onPath)!);
        }

        foreach (var dir in candidates)
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException(
            $"PostgreSQL server binaries (initdb, pg_ctl) were not found in: {string.Join(", ", candidates)}. {InstallHint}");
    }

    private static string? FromPgConfig()
    {
        if (ExecutableLocator.FindOnPath("pg_config") is not { } pgConfig)
        {
            return null;
        }

        using var process = Process.Start(new ProcessStartInfo(pgConfig, "--bindir")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        });
        if (process is null)
        {
            return null;
        }

        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0 && output.Length > 0 ? output : null;
    }
}
