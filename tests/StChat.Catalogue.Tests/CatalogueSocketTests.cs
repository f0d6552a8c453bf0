using System.Net;
using System.Net.WebSockets;
using StChat.Catalogue.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Catalogue.Tests;

// /feeds/ws against the real ingest worker, nats-server and PostgreSQL, filled by the feed simulator.
public sealed class CatalogueSocketTests(CatalogueFixture fixture) : IClassFixture<CatalogueFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_socket_sends_every_row_once_in_stream_order_and_resumes_after_a_disconnect()
    {
        using var api = new CatalogueApi(fixture.Host, fixture.ConnectionString);
        await using var first = await FeedSocket.ConnectAsync(fixture.Host.SocketUri, after: 0);
        await fixture.PublishFeedsAsync(30);
        await Eventually.Until(() => Task.FromResult(first.LastHorizon >= 60), Patience, "the first socket reaches the horizon past all 60 messages");
        var stored = await api.StoredSeqsAsync();
        Assert.Equal(60, stored.Length);
        Assert.Equal(stored, first.RowSeqs);

        // Resume from the middle: the rest of what is stored from PostgreSQL, then the next rows live, each once.
        var middle = first.RowSeqs[29];
        await first.CloseAsync();
        await using var second = await FeedSocket.ConnectAsync(fixture.Host.SocketUri, after: middle);
        await fixture.PublishFeedsAsync(30);
        await Eventually.Until(() => Task.FromResult(second.LastHorizon >= 120), Patience, "the resumed socket reaches the horizon past all 120 messages");
        stored = await api.StoredSeqsAsync();
        Assert.Equal(120, stored.Length);
        Assert.Equal(stored.Where(s => s > middle), second.RowSeqs);
    }

    [Theory]
    [InlineData("after=-1")]
    [InlineData("after=abc")]
    [InlineData("after=1&name=x")]
    [InlineData("after=9223372036854775807")]
    public async Task A_bad_query_is_refused_before_the_upgrade(string query) =>
        Assert.Equal(HttpStatusCode.BadRequest, await FeedSocket.RefusalAsync(new Uri($"{fixture.Host.SocketUri}?{query}")));

    [Fact]
    public async Task A_client_message_closes_the_socket_with_1008()
    {
        await using var socket = await FeedSocket.ConnectAsync(fixture.Host.SocketUri, after: 0);
        await socket.SendTextAsync("""{"action":"subscribe"}""");
        await Eventually.Until(() => Task.FromResult(socket.IsClosed), Patience, "the server closes the socket");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, socket.CloseStatus);
    }
}
