using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using StChat.Storage;

namespace StChat.Server.Operations;

/// <summary>
/// PostgreSQL answers and every migration of this build is applied. Probes on a connection of their own, never one of
/// the workers' pool, so a database that hangs holds no connection the workers need.
/// </summary>
internal sealed class PostgresReadinessCheck : ReadinessProbe, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresReadinessCheck(IConfiguration configuration)
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString.Get(configuration))
        {
            Pooling = false,
            // Longer than the probe's own bound, so a server that does not answer is always reported as such.
            Timeout = (int)Patience.TotalSeconds + 2,
            CommandTimeout = (int)Patience.TotalSeconds + 2,
            ApplicationName = "stchat-readiness",
        };
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    protected override string NoAnswer => "PostgreSQL did not answer";

    protected override async Task<HealthCheckResult> ProbeAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            var applied = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT version FROM schema_migrations", cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);
            var missing = Migrator.KnownVersions.Where(v => !applied.Contains(v)).ToArray();
            return missing.Length == 0
                ? HealthCheckResult.Healthy("PostgreSQL answers and the schema is up to date.")
                : HealthCheckResult.Unhealthy($"PostgreSQL answers but migration(s) {string.Join(", ", missing)} are not applied yet.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL answers but the schema is not migrated yet (no schema_migrations table).");
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException && !ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL is not reachable: {e.Message}");
        }
    }

    public void Dispose() => _dataSource.Dispose();
}
