using System.Diagnostics;
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
        var connectionString = await CreateKeptRowAsync(cluster, 42);

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
        var connectionString = await CreateKeptRowAsync(cluster, 7);

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
    public async Task Paused_server_accepts_connections_but_answers_nothing_until_it_is_unpaused()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        var connectionString = await CreateKeptRowAsync(cluster, 3);

        await using var held = await OpenAsync(connectionString);
        await cluster.PauseAsync();
        try
        {
            // Not refused: the statement on an open connection and a new connection both hang until their timeouts.
            await using var select = new NpgsqlCommand("SELECT n FROM kept", held) { CommandTimeout = 2 };
            var hung = await Assert.ThrowsAnyAsync<Exception>(() => select.ExecuteScalarAsync());
            Assert.True(IsTimeout(hung), $"expected a timeout, got {hung}");
            var clock = Stopwatch.StartNew();
            var connect = await Assert.ThrowsAnyAsync<Exception>(() => OpenAsync(connectionString));
            Assert.True(IsTimeout(connect), $"expected a connect timeout, got {connect}");
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(4), $"the connect failed after {clock.Elapsed} instead of hanging");
        }
        finally
        {
            await cluster.UnpauseAsync();
        }

        await using var reopened = await OpenAsync(connectionString);
        await using var after = new NpgsqlCommand("SELECT n FROM kept", reopened);
        Assert.Equal(3, await after.ExecuteScalarAsync());
    }

    [Fact]
    public async Task With_Docker_each_fault_acts_on_a_labelled_container_that_keeps_its_loopback_port()
    {
        if (!PostgresCluster.UsesDocker)
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "CI prepares a Docker engine; the PostgreSQL fixtures must use it");
            return;
        }

        await using var cluster = await PostgresCluster.StartAsync();
        var id = cluster.ContainerId!;
        Assert.Equal("postgres", await Inspect(id, "{{index .Config.Labels \"org.stchat.test\"}}"));
        var published = await Inspect(id, "{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{.HostIp}}:{{.HostPort}}{{end}}{{end}}");
        Assert.Equal($"127.0.0.1:{new NpgsqlConnectionStringBuilder(cluster.AdminConnectionString).Port}", published);
        var connectionString = await CreateKeptRowAsync(cluster, 11);

        await cluster.PauseAsync();
        Assert.Equal("paused", await Inspect(id, "{{.State.Status}}"));
        await cluster.UnpauseAsync();
        Assert.Equal("running", await Inspect(id, "{{.State.Status}}"));

        await cluster.StopAsync();
        Assert.Equal("exited", await Inspect(id, "{{.State.Status}}"));
        await cluster.StartAgainAsync();
        Assert.Equal("running", await Inspect(id, "{{.State.Status}}"));

        await cluster.KillAsync();
        Assert.Equal("exited 137", await Inspect(id, "{{.State.Status}} {{.State.ExitCode}}"));
        await cluster.StartAgainAsync();
        Assert.Equal(published, await Inspect(id, "{{range $p, $b := .NetworkSettings.Ports}}{{range $b}}{{.HostIp}}:{{.HostPort}}{{end}}{{end}}"));
        await Eventually.Until(async () =>
        {
            await using var connection = await OpenAsync(connectionString);
            await using var select = new NpgsqlCommand("SELECT n FROM kept", connection);
            return await select.ExecuteScalarAsync() is 11;
        }, Patience, "the container should come back on its port with its committed row");

        await cluster.DisposeAsync();
        Assert.Equal("", await Docker("ps", "-a", "-q", "--filter", $"id={id}"));
    }

    [Fact]
    public async Task With_Docker_labelled_containers_of_an_ended_test_process_are_swept_and_live_ones_kept()
    {
        if (!PostgresCluster.UsesDocker)
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "CI prepares a Docker engine; the PostgreSQL fixtures must use it");
            return;
        }

        // Created, never started: a crashed run's leftover, a live owner's container, and one from another machine.
        var ended = await CreateLabelledAsync($"{Environment.MachineName}/{Environment.ProcessId}/not-this-start");
        var live = await CreateLabelledAsync(DockerEngine.Owner);
        var elsewhere = await CreateLabelledAsync($"another-{Environment.MachineName}/1/1");
        try
        {
            DockerEngine.SweepStale();

            Assert.Equal("", await Docker("ps", "-a", "-q", "--filter", $"id={ended}"));
            Assert.Equal("created", await Inspect(live, "{{.State.Status}}"));
            Assert.Equal("created", await Inspect(elsewhere, "{{.State.Status}}"));
        }
        finally
        {
            await Docker("rm", "-f", "-v", ended, live, elsewhere);
        }
    }

    [Fact]
    public async Task With_Docker_the_shared_server_is_a_container()
    {
        var cluster = await PostgresCluster.SharedAsync();
        if (!PostgresCluster.UsesDocker || Environment.GetEnvironmentVariable(PostgresCluster.ServerVariable) is { Length: > 0 })
        {
            Assert.Null(cluster.ContainerId);
            return;
        }

        Assert.Equal("running", await Inspect(cluster.ContainerId!, "{{.State.Status}}"));

        // Fast, but a commit is in the WAL before it returns: crash tests must not lose acknowledged rows.
        await using var connection = await OpenAsync(cluster.AdminConnectionString);
        await using var settings = new NpgsqlCommand(
            "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')", connection);
        Assert.Equal("fsync=off synchronous_commit=on", await settings.ExecuteScalarAsync());
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

    // Npgsql reports both a command timeout and a connect timeout as an NpgsqlException around a TimeoutException.
    private static bool IsTimeout(Exception e) => e is TimeoutException || e.InnerException is TimeoutException;

    private static Task<string> CreateLabelledAsync(string owner) =>
        Docker("create", "--label", $"{DockerEngine.Label}=postgres", "--label", $"{DockerEngine.OwnerLabel}={owner}", "postgres:15");

    private static Task<string> Inspect(string containerId, string format) => Docker("inspect", "-f", format, containerId);

    private static async Task<string> Docker(params string[] args)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"docker {string.Join(' ', args)} exited with {process.ExitCode}: {await error}");
        return (await output).Trim();
    }

    // A new database holding table kept with one row, n; the connection string is unpooled, so nothing outlives a fault.
    private static async Task<string> CreateKeptRowAsync(PostgresCluster cluster, int n)
    {
        var connectionString = Unpooled(await cluster.CreateDatabaseAsync());
        await using var connection = await OpenAsync(connectionString);
        await Execute(connection, $"CREATE TABLE kept (n int); INSERT INTO kept VALUES ({n})");
        return connectionString;
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
