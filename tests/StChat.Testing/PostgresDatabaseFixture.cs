using Xunit;

namespace StChat.Testing;

// A fresh database in the shared cluster for each test class (IClassFixture<PostgresDatabaseFixture>).
public sealed class PostgresDatabaseFixture : IAsyncLifetime
{
    private PostgresCluster? _cluster;
    private string? _connectionString;

    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("The fixture has not been initialized.");

    public async ValueTask InitializeAsync()
    {
        _cluster = await PostgresCluster.SharedAsync();
        _connectionString = await _cluster.CreateDatabaseAsync("stchat_test");
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null && _connectionString is not null)
        {
            await _cluster.DropDatabaseAsync(_connectionString);
        }
    }
}
