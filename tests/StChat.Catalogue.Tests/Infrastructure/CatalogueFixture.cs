using NATS.Client.Core;
using NATS.Client.JetStream;
using StChat.Feeds;
using StChat.Testing;
using Xunit;

namespace StChat.Catalogue.Tests.Infrastructure;

// One nats-server, one fresh database and one host per test class. With the ingest worker, the feed simulator fills
// the catalogue as `./stchat feeds` does.
public class CatalogueFixture : IAsyncLifetime
{
    public const string Stream = "FEEDS";

    private readonly PostgresDatabaseFixture _database = new();
    private NatsServer? _nats;
    private CatalogueHost? _host;

    public CatalogueHost Host => _host ?? throw new InvalidOperationException("The fixture has not been initialized.");

    public NatsServer Nats => _nats ?? throw new InvalidOperationException("The fixture has not been initialized.");

    public string ConnectionString => _database.ConnectionString;

    public string Consumer => "ingest-" + Stream.ToLowerInvariant();

    protected virtual bool Ingest => true;

    public async ValueTask InitializeAsync()
    {
        await _database.InitializeAsync();
        _nats = await NatsServer.StartAsync();
        _host = await CatalogueHost.StartAsync(_database.ConnectionString, _nats.Url, Stream, Ingest);
        if (Ingest)
        {
            await WaitForConsumerAsync();
        }
    }

    // The worker creates the stream and its consumer once the host has started; feeds published before that (plain
    // core NATS, as `./stchat feeds` publishes) would reach no stream.
    private async Task WaitForConsumerAsync()
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = Nats.Url });
        var js = new NatsJSContext(connection);
        await Eventually.Until(
            async () =>
            {
                try
                {
                    await js.GetConsumerAsync(Stream, Consumer);
                    return true;
                }
                catch (NatsJSApiException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            $"the ingest worker creates stream {Stream} and consumer {Consumer}");
    }

    // `count` messages on each feed subject, published as fast as the simulator goes.
    public async Task PublishFeedsAsync(long count)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = Nats.Url });
        await connection.ConnectAsync();
        await new FeedSimulator(connection, new FeedsArguments { Count = count, Rate = 0 }, TextWriter.Null).RunAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }

        await _database.DisposeAsync();
    }
}
