using Xunit;

namespace StChat.Testing;

// One nats-server per test class: use as IClassFixture<NatsServerFixture>.
public sealed class NatsServerFixture : IAsyncLifetime
{
    private NatsServer? _server;

    public NatsServer Server => _server ?? throw new InvalidOperationException("The fixture has not been initialized.");

    public string Url => Server.Url;

    public async ValueTask InitializeAsync() => _server = await NatsServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
