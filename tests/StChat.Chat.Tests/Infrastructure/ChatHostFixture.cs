using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests.Infrastructure;

// One fresh database and one chat host per test class; tests use their own rooms, so they do not see each other.
public class ChatHostFixture : IAsyncLifetime
{
    private readonly PostgresDatabaseFixture _database = new();
    private ChatHost? _host;

    public ChatHost Host => _host ?? throw new InvalidOperationException("The fixture has not been initialized.");

    public string ConnectionString => _database.ConnectionString;

    protected virtual IReadOnlyDictionary<string, string?> Chat => new Dictionary<string, string?>
    {
        ["HistoryLength"] = "5",
        ["MessagesPerSecond"] = "1000",
        ["MessageBurst"] = "1000",
    };

    public async ValueTask InitializeAsync()
    {
        await _database.InitializeAsync();
        _host = await ChatHost.StartAsync(_database.ConnectionString, Chat);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        await _database.DisposeAsync();
    }
}
