using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests.Infrastructure;

// Two chat nodes (Chat:Bus=nats) on one fresh database and one real nats-server, shared by a test class.
public sealed class ChatNodesFixture : IAsyncLifetime
{
    private readonly PostgresDatabaseFixture _database = new();
    private NatsServer? _nats;
    private ChatHost? _a;
    private ChatHost? _b;

    public ChatHost A => _a ?? throw new InvalidOperationException("The fixture has not been initialized.");

    public ChatHost B => _b ?? throw new InvalidOperationException("The fixture has not been initialized.");

    public string ConnectionString => _database.ConnectionString;

    public NatsServer Nats => _nats ?? throw new InvalidOperationException("The fixture has not been initialized.");

    public async ValueTask InitializeAsync()
    {
        await _database.InitializeAsync();
        _nats = await NatsServer.StartAsync();
        var chat = new Dictionary<string, string?>
        {
            ["MessagesPerSecond"] = "1000",
            ["MessageBurst"] = "1000",
            ["ReconcileInterval"] = "00:00:00.500",
            ["SessionCheckInterval"] = "00:00:01",
            ["PresenceHeartbeat"] = "00:00:01",
            ["PresenceTimeout"] = "00:00:05",
        };
        _a = await ChatHost.StartAsync(_database.ConnectionString, chat, _nats.Url);
        _b = await ChatHost.StartAsync(_database.ConnectionString, chat, _nats.Url);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in new[] { _a, _b })
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }

        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }

        await _database.DisposeAsync();
    }
}
