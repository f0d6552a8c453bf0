using System.Net;
using NATS.Client.Core;
using StChat.Catalogue.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Catalogue.Tests;

// Chat nodes read the ack floor each on their own clock, so a client that leaves one node may come back to another
// whose horizon is still behind the seq it resumes from. That seq is valid (the broker's ack floor has passed it), and
// the node must take it rather than refuse it as beyond its horizon.
public sealed class CatalogueResumeAcrossNodesTests(BareCatalogueFixture fixture) : IClassFixture<BareCatalogueFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_client_resumes_on_a_node_whose_horizon_is_behind_the_one_it_left()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = fixture.Nats.Url });
        var workers = new PlayedWorkers(nats, fixture.ConnectionString, fixture.Consumer);
        var messages = await workers.PublishAndFetchAsync(6);

        // A second node that reads the ack floor once at start and then only once a minute (there are no notices).
        await using var slow = await CatalogueHost.StartAsync(
            fixture.ConnectionString, fixture.Nats.Url, CatalogueFixture.Stream, ingest: false, pollInterval: TimeSpan.FromMinutes(1));
        using var slowApi = new CatalogueApi(slow, fixture.ConnectionString);
        await Eventually.Until(async () => await slowApi.HorizonReadAtAsync() is not null, Patience, "the slow node reads the ack floor once");

        await workers.StoreAndAckAsync(messages, pendingAfter: 0);
        await using var first = await FeedSocket.ConnectAsync(fixture.Host.SocketUri, after: 0);
        await Eventually.Until(() => Task.FromResult(first.LastHorizon >= 6), Patience, "the first node sends all six rows");
        Assert.Equal([1, 2, 3, 4, 5, 6], first.RowSeqs);
        Assert.Equal(0, await slowApi.HorizonAsync());

        // Beyond the broker's ack floor is refused; up to it is taken, and the slow node catches up to it.
        Assert.Equal(HttpStatusCode.BadRequest, await FeedSocket.RefusalAsync(new Uri($"{slow.SocketUri}?after=7")));

        await using var second = await FeedSocket.ConnectAsync(slow.SocketUri, after: first.LastHorizon);
        await Eventually.Until(async () => await slowApi.HorizonAsync() >= 6, Patience, "the slow node reaches the seq the client resumed from");
        Assert.Empty(second.RowSeqs);
        Assert.False(second.IsClosed);
    }
}
