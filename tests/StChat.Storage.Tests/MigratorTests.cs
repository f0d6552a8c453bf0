using Npgsql;
using StChat.Testing;
using Xunit;

namespace StChat.Storage.Tests;

public sealed class MigratorTests
{
    [Fact]
    public async Task Fresh_database_gets_every_embedded_version_once()
    {
        var connectionString = await NewDatabaseAsync();

        var applied = await Migrator.MigrateAsync(connectionString);

        Assert.Equal(Migrator.KnownVersions, applied);
        Assert.Equal(Migrator.KnownVersions, await RecordedVersionsAsync(connectionString));
    }

    [Fact]
    public async Task Second_run_applies_nothing()
    {
        var connectionString = await NewDatabaseAsync();
        await Migrator.MigrateAsync(connectionString);

        var applied = await Migrator.MigrateAsync(connectionString);

        Assert.Empty(applied);
        Assert.Equal(Migrator.KnownVersions, await RecordedVersionsAsync(connectionString));
    }

    [Fact]
    public async Task Processes_starting_together_apply_each_version_exactly_once()
    {
        var connectionString = await NewDatabaseAsync();
        // Separate pools stand in for separate processes: each run holds its own session and its own advisory lock.
        var runs = Enumerable.Range(0, 6)
            .Select(i => Task.Run(() => Migrator.MigrateAsync(
                new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = $"migrator-{i}" }.ConnectionString)))
            .ToArray();

        var results = await Task.WhenAll(runs);

        Assert.Equal(Migrator.KnownVersions, results.SelectMany(r => r).Order(StringComparer.Ordinal));
        Assert.Equal(Migrator.KnownVersions, await RecordedVersionsAsync(connectionString));
    }

    [Fact]
    public void Embedded_versions_are_numbered_and_ordered()
    {
        Assert.NotEmpty(Migrator.KnownVersions);
        Assert.All(Migrator.KnownVersions, v => Assert.Matches(@"^\d{4}_[a-z0-9_]+$", v));
        Assert.Equal(Migrator.KnownVersions.Order(StringComparer.Ordinal), Migrator.KnownVersions);
    }

    [Fact]
    public async Task Unreachable_server_fails_with_a_connection_error()
    {
        var port = TestPorts.GetFreeTcpPort();
        var connectionString = $"Host=127.0.0.1;Port={port};Database=none;Username=none;Timeout=2";

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => Migrator.MigrateAsync(connectionString));
    }

    private static async Task<string> NewDatabaseAsync()
    {
        var cluster = await PostgresCluster.SharedAsync();
        return await cluster.CreateDatabaseAsync("migrator");
    }

    private static async Task<IReadOnlyList<string>> RecordedVersionsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var versions = new List<string>();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetString(0));
        }

        return versions;
    }
}
