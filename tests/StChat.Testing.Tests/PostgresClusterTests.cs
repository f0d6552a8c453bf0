using Npgsql;
using StChat.Testing;
using Xunit;

namespace StChat.Testing.Tests;

public sealed class PostgresClusterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Created_database_round_trips_a_table()
    {
        var cluster = await PostgresCluster.SharedAsync();
        var connectionString = await cluster.CreateDatabaseAsync("round trip");

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await Execute(connection, "CREATE TABLE feed (id bigint PRIMARY KEY, title text NOT NULL)");
        await Execute(connection, "INSERT INTO feed VALUES (1, 'Überschrift ✓')");
        await using var select = new NpgsqlCommand("SELECT title FROM feed WHERE id = 1", connection);

        Assert.Equal("Überschrift ✓", await select.ExecuteScalarAsync());
        Assert.StartsWith("round_trip_", connection.Database, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shared_cluster_is_one_per_process()
    {
        Assert.Same(await PostgresCluster.SharedAsync(), await PostgresCluster.SharedAsync());
    }

    [Fact]
    public async Task Private_cluster_stops_and_starts_again_with_its_data()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        var connectionString = Unpooled(await cluster.CreateDatabaseAsync());
        await using (var connection = await OpenAsync(connectionString))
        {
            await Execute(connection, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)");
        }

        await cluster.StopAsync();
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => OpenAsync(connectionString));

        await cluster.StartAgainAsync();
        await using var reopened = await OpenAsync(connectionString);
        await using var select = new NpgsqlCommand("SELECT n FROM kept", reopened);
        Assert.Equal(42, await select.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Killed_cluster_recovers_on_start_again()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        var connectionString = Unpooled(await cluster.CreateDatabaseAsync());
        await using (var connection = await OpenAsync(connectionString))
        {
            await Execute(connection, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)");
        }

        await cluster.KillAsync();
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => OpenAsync(connectionString));

        await cluster.StartAgainAsync();
        await Eventually.Until(async () =>
        {
            await using var connection = await OpenAsync(connectionString);
            await using var select = new NpgsqlCommand("SELECT n FROM kept", connection);
            return await select.ExecuteScalarAsync() is 7;
        }, Patience, "the killed cluster should come back with its committed row");
    }

    [Fact]
    public async Task Two_fixtures_get_different_databases()
    {
        var first = new PostgresDatabaseFixture();
        var second = new PostgresDatabaseFixture();
        await first.InitializeAsync();
        await second.InitializeAsync();
        try
        {
            var firstName = new NpgsqlConnectionStringBuilder(first.ConnectionString).Database;
            var secondName = new NpgsqlConnectionStringBuilder(second.ConnectionString).Database;
            Assert.NotEqual(firstName, secondName);

            await using var connection = await OpenAsync(first.ConnectionString);
            await using var select = new NpgsqlCommand("SELECT current_database()", connection);
            Assert.Equal(firstName, await select.ExecuteScalarAsync());
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task Disposed_fixture_drops_its_database()
    {
        var fixture = new PostgresDatabaseFixture();
        await fixture.InitializeAsync();
        var name = new NpgsqlConnectionStringBuilder(fixture.ConnectionString).Database;
        await using (await OpenAsync(fixture.ConnectionString))
        {
        }

        await fixture.DisposeAsync();

        var cluster = await PostgresCluster.SharedAsync();
        await using var admin = await OpenAsync(cluster.AdminConnectionString);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", admin);
        count.Parameters.AddWithValue("name", name!);
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Shared_cluster_cannot_be_disposed_by_a_test()
    {
        var cluster = await PostgresCluster.SharedAsync();

        await cluster.DisposeAsync();

        await using var connection = await OpenAsync(cluster.AdminConnectionString);
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
    }

    private static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 }.ConnectionString;

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
