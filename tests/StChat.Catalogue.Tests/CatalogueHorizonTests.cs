using NATS.Client.Core;
using StChat.Catalogue.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Catalogue.Tests;

// Two ingest workers share a durable consumer and may commit their batches out of stream order. The test plays both
// against the real nats-server and PostgreSQL: it stores and acknowledges messages 6-10 (worker B) before 1-5
// (worker A), and the catalogue must not show 6-10 before 1-5 exist, or a client that moved past 10 would never see them.
public sealed class CatalogueHorizonTests(BareCatalogueFixture fixture) : IClassFixture<BareCatalogueFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Rows_committed_ahead_of_earlier_ones_wait_until_the_earlier_ones_are_committed()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = fixture.Nats.Url });
        var workers = new PlayedWorkers(nats, fixture.ConnectionString, fixture.Consumer);
        var messages = await workers.PublishAndFetchAsync(10);

        using var api = new CatalogueApi(fixture.Host, fixture.ConnectionString);
        await Eventually.Until(async () => await api.HorizonReadAtAsync() is not null, Patience, "the catalogue reads the consumer's ack floor");
        await using var socket = await FeedSocket.ConnectAsync(fixture.Host.SocketUri, after: 0);

        // Worker B commits and acknowledges 6-10 first.
        await workers.StoreAndAckAsync(messages[5..], pendingAfter: 5);
        var acked = DateTimeOffset.UtcNow;
        await Eventually.Until(async () => await api.HorizonReadAtAsync() > acked, Patience, "the catalogue reads the ack floor after B's acks");
        var page = await api.GetAsync("api/feeds/execution?after=0");
        Assert.Equal(0, page.GetProperty("horizon").GetInt64());
        Assert.Empty(page.GetProperty("rows").EnumerateArray());
        Assert.Empty(socket.RowSeqs);

        // Worker A commits 1-5: now all ten are final, and they arrive in order, each once.
        await workers.StoreAndAckAsync(messages[..5], pendingAfter: 0);
        await Eventually.Until(() => Task.FromResult(socket.LastHorizon >= 10), Patience, "the socket reaches seq 10");
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), socket.RowSeqs);
        page = await api.GetAsync("api/feeds/execution?after=0");
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), page.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("seq").GetInt64()));
    }
}
