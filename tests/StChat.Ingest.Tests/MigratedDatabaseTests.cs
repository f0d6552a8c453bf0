using Npgsql;
using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

// Tests of the catalogue against a real PostgreSQL: a fresh database per test, migrated, and a stream of its own.
public abstract class MigratedDatabaseTests(string database) : IAsyncLifetime
{
    private NpgsqlDataSource? _dataSource;

    protected string Stream { get; } = "FEEDS_" + Guid.NewGuid().ToString("N")[..8];

    protected NpgsqlDataSource DataSource => _dataSource!;

    /// <summary>Runs SQL that returns nothing, to set up or change what a test stores.</summary>
    protected async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask InitializeAsync()
    {
        var postgres = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync(database);
        await Storage.Migrator.MigrateAsync(postgres);
        _dataSource = NpgsqlDataSource.Create(postgres);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
