using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;
using StChat.Catalogue.Tests.Infrastructure;
using StChat.Contracts;
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
        var js = new NatsJSContext(nats);
        await js.CreateStreamAsync(new StreamConfig(CatalogueFixture.Stream, [.. FeedSubjects.All]));
        var consumer = await js.CreateOrUpdateConsumerAsync(CatalogueFixture.Stream, new ConsumerConfig(fixture.Consumer)
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = TimeSpan.FromMinutes(5),
        });
        for (var i = 0; i < 10; i++)
        {
            (await js.PublishAsync(FeedSubjects.Execution, new byte[] { 1 })).EnsureSuccess();
        }

        var messages = new List<INatsJSMsg<byte[]>>();
        await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 10, Expires = TimeSpan.FromSeconds(5) }))
        {
            messages.Add(msg);
        }

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (ulong)i), messages.Select(m => m.Metadata!.Value.Sequence.Stream));

        using var api = new CatalogueApi(fixture.Host, fixture.ConnectionString);
        await Eventually.Until(async () => await api.HorizonReadAtAsync() is not null, Patience, "the catalogue reads the consumer's ack floor");
        await using var socket = await FeedSocket.ConnectAsync(fixture.Host.SocketUri, after: 0);

        // Worker B commits and acknowledges 6-10 first.
        await StoreAndAckAsync(js, messages[5..], pendingAfter: 5);
        var acked = DateTimeOffset.UtcNow;
        await Eventually.Until(async () => await api.HorizonReadAtAsync() > acked, Patience, "the catalogue reads the ack floor after B's acks");
        var page = await api.GetAsync("api/feeds/execution?after=0");
        Assert.Equal(0, page.GetProperty("horizon").GetInt64());
        Assert.Empty(page.GetProperty("rows").EnumerateArray());
        Assert.Empty(socket.RowSeqs);

        // Worker A commits 1-5: now all ten are final, and they arrive in order, each once.
        await StoreAndAckAsync(js, messages[..5], pendingAfter: 0);
        await Eventually.Until(() => Task.FromResult(socket.LastHorizon >= 10), Patience, "the socket reaches seq 10");
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), socket.RowSeqs);
        page = await api.GetAsync("api/feeds/execution?after=0");
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), page.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("seq").GetInt64()));
    }

    // What a worker does with its batch: one transaction, then the acks, confirmed by the consumer's pending count.
    private async Task StoreAndAckAsync(INatsJSContext js, List<INatsJSMsg<byte[]>> batch, int pendingAfter)
    {
        await using (var connection = new NpgsqlConnection(fixture.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                INSERT INTO execution (stream, stream_seq, symbol, market, price, quantity, execution_epoch, state_symbol, published_at)
                SELECT $1, seq, 'AAPL', 'NASDAQ', 100 + seq, 1, 0, 'US', now() FROM unnest($2::bigint[]) seq
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = CatalogueFixture.Stream });
            command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(m => (long)m.Metadata!.Value.Sequence.Stream).ToArray() });
            await command.ExecuteNonQueryAsync();
        }

        foreach (var msg in batch)
        {
            await msg.AckAsync(new AckOpts { DoubleAck = true });
        }

        await Eventually.Until(async () =>
        {
            var info = (await js.GetConsumerAsync(CatalogueFixture.Stream, fixture.Consumer)).Info;
            return info.NumAckPending == pendingAfter;
        }, Patience, "the broker applied the acks");
    }
}
