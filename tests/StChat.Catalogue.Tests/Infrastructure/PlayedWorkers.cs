using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;
using StChat.Contracts;
using StChat.Testing;

namespace StChat.Catalogue.Tests.Infrastructure;

// The test in the role of ingest workers that share the durable consumer: it fetches messages, stores their rows and
// acknowledges them in whatever order it chooses, against the real nats-server and PostgreSQL.
public sealed class PlayedWorkers(NatsConnection nats, string connectionString, string consumer)
{
    private readonly NatsJSContext _js = new(nats);

    // The stream and the consumer as the ingest worker makes them, `count` execution messages, all fetched at once.
    public async Task<List<INatsJSMsg<byte[]>>> PublishAndFetchAsync(int count)
    {
        await _js.CreateStreamAsync(new StreamConfig(CatalogueFixture.Stream, [.. FeedSubjects.All]));
        var durable = await _js.CreateOrUpdateConsumerAsync(CatalogueFixture.Stream, new ConsumerConfig(consumer)
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = TimeSpan.FromMinutes(5),
        });
        for (var i = 0; i < count; i++)
        {
            (await _js.PublishAsync(FeedSubjects.Execution, new byte[] { 1 })).EnsureSuccess();
        }

        var messages = new List<INatsJSMsg<byte[]>>();
        await foreach (var msg in durable.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = count, Expires = TimeSpan.FromSeconds(5) }))
        {
            messages.Add(msg);
        }

        return messages;
    }

    // What a worker does with its batch: one transaction, then the acks, confirmed by the consumer's pending count.
    public async Task StoreAndAckAsync(List<INatsJSMsg<byte[]>> batch, int pendingAfter)
    {
        await using (var connection = new NpgsqlConnection(connectionString))
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
            var info = (await _js.GetConsumerAsync(CatalogueFixture.Stream, consumer)).Info;
            return info.NumAckPending == pendingAfter;
        }, TimeSpan.FromSeconds(60), "the broker applied the acks");
    }
}
