using System.Collections.Concurrent;
using System.Text;
using Npgsql;

namespace StChat.Testing;

// A throwaway PostgreSQL server: a Docker container when an engine answers (Testcontainers), otherwise a cluster
// from the local binaries (initdb into a temp dir, pg_ctl on a random port); or an existing server named by
// STCHAT_TEST_POSTGRES. Only servers this class started can be stopped, killed, paused and started again.
public sealed class PostgresCluster : IAsyncDisposable
{
    public const string ServerVariable = "STCHAT_TEST_POSTGRES";

    private static readonly Lazy<Task<PostgresCluster>> Shared = new(CreateSharedAsync);

    // Clusters still running when the test process exits (the shared one, or any a test forgot) are shut down then.
    private static readonly ConcurrentDictionary<PostgresCluster, byte> Live = new();

    private static int _fallbackAnnounced;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly IPostgresServer? _owned;
    private readonly bool _isShared;
    private bool _disposed;

    static PostgresCluster() => AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAllLive();

    private PostgresCluster(string adminConnectionString, IPostgresServer? owned, bool isShared)
    {
        AdminConnectionString = adminConnectionString;
        _owned = owned;
        _isShared = isShared;
    }

    public string AdminConnectionString { get; private set; }

    /// <summary>The Docker container this server runs in, or null for a local cluster or the STCHAT_TEST_POSTGRES server.</summary>
    public string? ContainerId => _owned?.ContainerId;

    /// <summary>True when the tests' servers are Docker containers, false when they run from the local binaries.</summary>
    public static bool UsesDocker => DockerEngine.IsAvailable;

    /// <summary>Starts a private cluster that the caller owns and may stop, kill and start again.</summary>
    public static async Task<PostgresCluster> StartAsync(CancellationToken ct = default)
    {
        var owned = await CreateServerAsync(ct);
        var cluster = new PostgresCluster(owned.AdminConnectionString, owned, isShared: false);
        Live.TryAdd(cluster, 0);
        return cluster;
    }

    /// <summary>One cluster for the whole test process, started on first use; or the server in STCHAT_TEST_POSTGRES.</summary>
    public static Task<PostgresCluster> SharedAsync() => Shared.Value;

    /// <summary>Creates an empty database with a unique name and returns a connection string for it.</summary>
    public async Task<string> CreateDatabaseAsync(string? prefix = null, CancellationToken ct = default)
    {
        var name = UniqueDatabaseName(prefix);
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync(ct);

            // template0 is never connected to, so concurrent CREATE DATABASE calls cannot trip over each other.
            await using var command = new NpgsqlCommand($"CREATE DATABASE {QuoteIdentifier(name)} TEMPLATE template0 ENCODING 'UTF8'", connection);
            await command.ExecuteNonQueryAsync(ct);
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Fast shutdown (docker stop, or pg_ctl stop -m fast): connections are closed, the data is kept.</summary>
    public Task StopAsync() => WithOwnedAsync(owned => owned.StopAsync(CancellationToken.None), CancellationToken.None);

    /// <summary>Starts a stopped or killed server again on the same port and data directory.</summary>
    public Task StartAgainAsync(CancellationToken ct = default) => WithOwnedAsync(owned => owned.StartAgainAsync(ct), ct);

    /// <summary>SIGKILL (docker kill -s KILL, or to the postmaster), as in a crash; StartAgainAsync then runs crash recovery.</summary>
    public Task KillAsync() => WithOwnedAsync(owned => owned.KillAsync(CancellationToken.None), CancellationToken.None);

    /// <summary>
    /// Freezes the server (docker pause, or SIGSTOP to the postmaster and its backends): it still accepts TCP
    /// connections but answers nothing, a database that hangs instead of refusing. UnpauseAsync resumes it.
    /// </summary>
    public Task PauseAsync() => WithOwnedAsync(owned => owned.PauseAsync(CancellationToken.None), CancellationToken.None);

    /// <summary>Resumes a paused server; the connections and statements it held go on where they stopped.</summary>
    public Task UnpauseAsync() => WithOwnedAsync(owned => owned.UnpauseAsync(CancellationToken.None), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        // The shared cluster outlives every test class that uses it; it is stopped when the process exits.
        if (_isShared)
        {
            return;
        }

        await _gate.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Live.TryRemove(this, out _);
            _owned?.Destroy();
        }
        finally
        {
            _gate.Release();
        }
    }

    internal async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database
            ?? throw new ArgumentException("The connection string names no database.", nameof(connectionString));
        using (var pooled = new NpgsqlConnection(connectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {QuoteIdentifier(name)} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    internal static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string UniqueDatabaseName(string? prefix)
    {
        var clean = new StringBuilder();
        foreach (var c in (prefix ?? "stchat").ToLowerInvariant())
        {
            clean.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        // PostgreSQL truncates identifiers at 63 bytes; keep the unique suffix inside that.
        var head = clean.Length > 40 ? clean.ToString(0, 40) : clean.ToString();
        return $"{head}_{Guid.NewGuid():N}"[..Math.Min(head.Length + 1 + 16, 63)];
    }

    private static async Task<PostgresCluster> CreateSharedAsync()
    {
        var external = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrWhiteSpace(external))
        {
            var owned = await CreateServerAsync(CancellationToken.None);
            var cluster = new PostgresCluster(owned.AdminConnectionString, owned, isShared: true);
            Live.TryAdd(cluster, 0);
            return cluster;
        }

        try
        {
            await using var connection = new NpgsqlConnection(external);
            await connection.OpenAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"{ServerVariable} is set but its server cannot be reached: {ex.Message}. Fix the connection string " +
                $"(it needs a user that may CREATE DATABASE), or unset {ServerVariable} to let the tests start their own cluster.",
                ex);
        }

        return new PostgresCluster(external, owned: null, isShared: true);
    }

    private static async Task<IPostgresServer> CreateServerAsync(CancellationToken ct)
    {
        if (DockerEngine.IsAvailable)
        {
            return await PostgresContainer.CreateAsync(ct);
        }

        if (Interlocked.Exchange(ref _fallbackAnnounced, 1) == 0)
        {
            Console.Error.WriteLine(
                $"StChat.Testing: no Docker engine for PostgreSQL containers ({DockerEngine.WhyUnavailable}); " +
                "the tests start PostgreSQL from the local binaries instead.");
        }

        return await PostgresInstance.CreateAsync(ct);
    }

    private static void StopAllLive()
    {
        foreach (var cluster in Live.Keys)
        {
            cluster._owned?.Destroy();
        }
    }

    private async Task WithOwnedAsync(Func<IPostgresServer, Task> action, CancellationToken ct)
    {
        if (_owned is null)
        {
            throw new InvalidOperationException($"This cluster is the server named by {ServerVariable}; only servers the tests started can be stopped, killed or paused.");
        }

        await _gate.WaitAsync(ct);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await action(_owned);
            AdminConnectionString = _owned.AdminConnectionString;
        }
        finally
        {
            _gate.Release();
        }
    }
}
