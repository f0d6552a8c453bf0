using Microsoft.Extensions.Logging;
using Npgsql;

namespace StChat.Storage;

/// <summary>
/// Applies the versioned SQL files embedded under <c>Migrations/</c> (named <c>NNNN_description.sql</c>) in order.
/// Each file runs in its own transaction together with its row in <c>schema_migrations</c>, so a failed file leaves
/// nothing half-applied. A session-level advisory lock makes two processes that start at the same moment take turns:
/// the second one waits, then finds every version already recorded.
/// </summary>
public static class Migrator
{
    // An arbitrary constant that identifies "StChat schema migrations" among advisory locks.
    private const long AdvisoryLockKey = 0x5374_4368_6174_0001;

    public static async Task<IReadOnlyList<string>> MigrateAsync(
        string connectionString, ILogger? logger = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        return await MigrateAsync(dataSource, logger, ct);
    }

    /// <summary>
    /// Migrates through a connection of <paramref name="dataSource"/>. (Its <c>ConnectionString</c> property drops
    /// the password, so a data source must not be turned back into a string for this.)
    /// </summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(
        NpgsqlDataSource dataSource, ILogger? logger = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);

        await using var connection = await dataSource.OpenConnectionAsync(ct);

        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection))
        {
            lockCommand.Parameters.AddWithValue("key", AdvisoryLockKey);
            await lockCommand.ExecuteNonQueryAsync(ct);
        }

        try
        {
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, ct);

            var applied = await LoadAppliedAsync(connection, ct);
            var newlyApplied = new List<string>();
            foreach (var migration in LoadMigrations())
            {
                if (applied.Contains(migration.Version))
                {
                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(ct);
                await ExecuteAsync(connection, migration.Sql, ct);
                await using (var record = new NpgsqlCommand(
                    "INSERT INTO schema_migrations (version) VALUES (@version)", connection, transaction))
                {
                    record.Parameters.AddWithValue("version", migration.Version);
                    await record.ExecuteNonQueryAsync(ct);
                }

                await transaction.CommitAsync(ct);
                newlyApplied.Add(migration.Version);
                logger?.LogInformation("Applied schema migration {Version}", migration.Version);
            }

            return newlyApplied;
        }
        finally
        {
            await UnlockAsync(connection, logger);
        }
    }

    // Closing the connection releases the lock too; unlocking explicitly returns it to the pool clean. When the
    // connection is already broken the unlock fails as well, and that failure must not hide the one that broke it.
    private static async Task UnlockAsync(NpgsqlConnection connection, ILogger? logger)
    {
        try
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            unlock.Parameters.AddWithValue("key", AdvisoryLockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            logger?.LogDebug("Releasing the migration lock failed ({Error}); closing the connection releases it", e.Message);
        }
    }

    /// <summary>The versions embedded in this build, in the order they are applied.</summary>
    public static IReadOnlyList<string> KnownVersions => LoadMigrations().Select(m => m.Version).ToArray();

    private static async Task<HashSet<string>> LoadAppliedAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var versions = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            versions.Add(reader.GetString(0));
        }

        return versions;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static List<Migration> LoadMigrations()
    {
        const string marker = ".Migrations.";
        var assembly = typeof(Migrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var at = resource.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0 || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var version = resource[(at + marker.Length)..^".sql".Length];
            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Embedded migration {resource} could not be read.");
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(version, reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => string.CompareOrdinal(a.Version, b.Version));
        return migrations;
    }

    private sealed record Migration(string Version, string Sql);
}
