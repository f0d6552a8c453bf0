using System.Diagnostics;
using System.Globalization;
using Npgsql;
using StChat.Testing;

namespace StChat.Bench;

// The benchmark's own PostgreSQL 15 cluster. Unlike the test fixtures it keeps fsync, full_page_writes and
// synchronous_commit on: every commit measured here is durable, because durability is what the product sells.
internal sealed class BenchPostgres : IAsyncDisposable
{
    private const string BinDir = "/usr/lib/postgresql/15/bin";

    private readonly string _root;
    private readonly bool _asPostgres;

    private BenchPostgres(string root, int port, bool asPostgres)
    {
        _root = root;
        Port = port;
        _asPostgres = asPostgres;
    }

    public int Port { get; }

    public string DataDirectory => Path.Combine(_root, "data");

    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";

    public static async Task<BenchPostgres> StartAsync(CancellationToken ct)
    {
        var asPostgres = Environment.UserName == "root";
        var root = Path.Combine("/tmp", $"stchat-bench-pg-{Guid.NewGuid():N}"[..28]);
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(Path.Combine(root, "sock"));
        var pg = new BenchPostgres(root, TestPorts.GetFreeTcpPort(), asPostgres);
        try
        {
            if (asPostgres)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", root], ct);
            }

            await pg.RunPgAsync("initdb", ["-D", pg.DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], ct);
            var options = string.Join(' ',
                "-c listen_addresses=127.0.0.1",
                $"-p {pg.Port.ToString(CultureInfo.InvariantCulture)}",
                $"-k {Path.Combine(root, "sock")}",
                "-c fsync=on",
                "-c full_page_writes=on",
                "-c synchronous_commit=on",
                "-c shared_buffers=1GB",
                "-c max_wal_size=8GB",
                "-c max_connections=300");
            await pg.RunPgAsync("pg_ctl", ["start", "-D", pg.DataDirectory, "-l", Path.Combine(root, "log"), "-w", "-t", "60", "-o", options], ct);
            return pg;
        }
        catch
        {
            await pg.DisposeAsync();
            throw;
        }
    }

    public async Task<string> CreateDatabaseAsync(string name, CancellationToken ct)
    {
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync(ct);
        }

        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name};Maximum Pool Size=200";
    }

    // WITH (FORCE) ends the connections still open to it (a stopped worker's pool may not have closed them yet).
    public async Task DropDatabaseAsync(string name, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"DROP DATABASE {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    // A maintenance statement (VACUUM, CHECKPOINT) on one database, allowed to run as long as it takes.
    public static async Task MaintainAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<string> SettingAsync(string name, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"SHOW {name}", connection);
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunPgAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "30"], CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task RunPgAsync(string tool, string[] args, CancellationToken ct) =>
        _asPostgres
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(BinDir, tool), .. args], ct)
            : RunAsync(Path.Combine(BinDir, tool), args, ct);

    private static async Task RunAsync(string fileName, string[] args, CancellationToken ct)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/tmp",
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', args)} exited with {process.ExitCode}: {await stdout}{await stderr}");
        }
    }
}
