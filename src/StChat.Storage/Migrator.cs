using Dapper;
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

        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_advisory_lock(@key)", new { key = AdvisoryLockKey }, cancellationToken: ct));

        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken: ct));

            var applied = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT version FROM schema_migrations", cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);
            var newlyApplied = new List<string>();
            foreach (var migration in LoadMigrations())
            {
                if (applied.Contains(migration.Version))
                {
                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(ct);
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: ct));
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (version) VALUES (@version)",
                    new { version = migration.Version }, transaction, cancellationToken: ct));

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
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_unlock(@key)", new { key = AdvisoryLockKey }, cancellationToken: CancellationToken.None));
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            logger?.LogDebug("Releasing the migration lock failed ({Error}); closing the connection releases it", e.Message);
        }
    }

    /// <summary>The versions embedded in this build, in the order they are applied.</summary>
    public static IReadOnlyList<string> KnownVersions => LoadMigrations().Select(m => m.Version).ToArray();

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
