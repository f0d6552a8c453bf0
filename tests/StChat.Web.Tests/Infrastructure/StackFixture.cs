using StChat.Testing;
using Xunit;

namespace StChat.Web.Tests.Infrastructure;

// One nats-server, one fresh database and one `serve` process per test class.
public sealed class StackFixture : IAsyncLifetime
{
    private readonly PostgresDatabaseFixture _database = new();
    private NatsServer? _nats;
    private ServeProcess? _serve;

    public ServeProcess Serve => _serve ?? throw new InvalidOperationException("The fixture has not been initialized.");

    public async ValueTask InitializeAsync()
    {
        await _database.InitializeAsync();
        _nats = await NatsServer.StartAsync();
        _serve = await ServeProcess.StartAsync(_database.ConnectionString, _nats.Url);
    }

    public async ValueTask DisposeAsync()
    {
        if (_serve is not null)
        {
            await _serve.DisposeAsync();
        }

        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }

        await _database.DisposeAsync();
    }
}
