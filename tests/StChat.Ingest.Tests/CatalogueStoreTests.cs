using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using StChat.Contracts;
using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

public sealed class CopyCatalogueStoreTests() : CatalogueStoreTests(StoreMethod.Copy);

public sealed class UnnestCatalogueStoreTests() : CatalogueStoreTests(StoreMethod.Unnest);

public sealed class CopyStagedCatalogueStoreTests() : CatalogueStoreTests(StoreMethod.CopyStaged);

// The writer alone against a real PostgreSQL, once per store method: a fresh database per test.
public abstract class CatalogueStoreTests(StoreMethod method) : MigratedDatabaseTests("catalogue")
{
    private static readonly DateTimeOffset Published = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private CatalogueStore? _writer;

    // One store for the whole test, as in the worker, so the staging connection is reused from write to write.
    private CatalogueStore Writer => _writer ??= new(
        DataSource, Options.Create(new IngestOptions { StoreMethod = method }), NullLogger<CatalogueStore>.Instance);

    public override async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    [Fact]
    public async Task Another_message_under_a_stored_sequence_number_is_refused_as_a_recreated_stream_and_nothing_is_stored()
    {
        var first = new FeedBatch();
        for (var i = 0; i < 10; i++)
        {
            FeedDecoder.Decode(FeedSubjects.SportEvent, TestFeed.SportEventBytes(i), (ulong)i + 1, Published.AddMilliseconds(i), first);
        }

        await Writer.WriteAsync(Stream, first, CancellationToken.None);

        // A recreated stream hands out 1, 2, ... again, captured later: seq 11 is new, seq 5 is not the stored message.
        var second = new FeedBatch();
        var later = Published.AddHours(1);
        FeedDecoder.Decode(FeedSubjects.SportEvent, TestFeed.SportEventBytes(110), 11, later, second);
        FeedDecoder.Decode(FeedSubjects.Execution, TestFeed.ExecutionBytes(105), 5, later, second);

        var e = await Assert.ThrowsAsync<StreamRecreatedException>(() => Writer.WriteAsync(Stream, second, CancellationToken.None));

        Assert.Contains("Message 5 of JetStream stream", e.Message, StringComparison.Ordinal);
        Assert.Contains("sport_event already holds message 5", e.Message, StringComparison.Ordinal);
        Assert.Contains("deleted and created again", e.Message, StringComparison.Ordinal);
        Assert.Contains("Set Ingest:Stream to a new name", e.Message, StringComparison.Ordinal);
        Assert.Equal(10, await CountAsync("sport_event"));
        Assert.Equal(0, await CountAsync("execution"));
        Assert.Equal("match 4", await ScalarAsync<string>("SELECT match_title FROM sport_event WHERE stream = $1 AND stream_seq = 5"));
    }

    [Fact]
    public async Task Another_message_under_a_sequence_number_stored_as_a_reject_is_refused_too()
    {
        var first = new FeedBatch();
        FeedDecoder.Decode(FeedSubjects.Execution, new byte[] { 0xFF }, 1, Published, first);
        await Writer.WriteAsync(Stream, first, CancellationToken.None);

        var second = new FeedBatch();
        FeedDecoder.Decode(FeedSubjects.Execution, TestFeed.ExecutionBytes(0), 1, Published.AddMinutes(1), second);

        var e = await Assert.ThrowsAsync<StreamRecreatedException>(() => Writer.WriteAsync(Stream, second, CancellationToken.None));

        Assert.Contains("feed_rejects already holds message 1", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync("execution"));
    }

    [Fact]
    public async Task Redelivery_with_a_timestamp_finer_than_a_microsecond_is_taken_for_the_stored_message()
    {
        // The broker's nanoseconds arrive as 100 ns ticks; PostgreSQL keeps microseconds.
        var published = Published.AddTicks(7);
        var batch = new FeedBatch();
        FeedDecoder.Decode(FeedSubjects.SportEvent, TestFeed.SportEventBytes(0), 1, published, batch);

        var first = await Writer.WriteAsync(Stream, batch, CancellationToken.None);
        var again = await Writer.WriteAsync(Stream, batch, CancellationToken.None);

        Assert.Equal(new CatalogueStoreResult(1, 0, 0), first);
        Assert.Equal(new CatalogueStoreResult(0, 0, 0), again);
    }

    [Fact]
    public async Task A_message_PostgreSQL_refuses_is_set_aside_in_feed_rejects_and_the_rest_of_the_batch_is_stored()
    {
        await ExecuteAsync("ALTER TABLE execution ADD CONSTRAINT no_poison CHECK (symbol <> 'POISON')");
        var poison = Poison();
        var batch = new FeedBatch();
        for (var i = 0; i < 5; i++)
        {
            FeedDecoder.Decode(FeedSubjects.SportEvent, TestFeed.SportEventBytes(i), (ulong)(3 * i) + 1, Published, batch);
            FeedDecoder.Decode(FeedSubjects.Execution, i == 2 ? poison : TestFeed.ExecutionBytes(i), (ulong)(3 * i) + 2, Published, batch);
            FeedDecoder.Decode(FeedSubjects.Execution, new byte[] { 0xFF }, (ulong)(3 * i) + 3, Published, batch);
        }

        var written = await Writer.WriteAsync(Stream, batch, CancellationToken.None);

        Assert.Equal(new CatalogueStoreResult(5, 4, 6), written);
        Assert.DoesNotContain(batch.Executions, r => r.StreamSeq == 8);
        var moved = Assert.Single(batch.Rejects, r => r.StreamSeq == 8);
        Assert.Equal(FeedSubjects.Execution, moved.Subject);
        Assert.Equal(poison, moved.Payload.ToArray());
        Assert.Equal(4, await CountAsync("execution"));
        Assert.Equal(6, await CountAsync("feed_rejects"));
        var error = await ScalarAsync<string>("SELECT error FROM feed_rejects WHERE stream = $1 AND stream_seq = 8");
        Assert.StartsWith("PostgreSQL refused the row (23514)", error, StringComparison.Ordinal);
        Assert.Contains("no_poison", error, StringComparison.Ordinal);
        Assert.Equal(poison, await ScalarAsync<byte[]>("SELECT payload FROM feed_rejects WHERE stream = $1 AND stream_seq = 8"));

        // The batch as it now stands is what the worker acknowledges; written again (a redelivery) it adds nothing.
        Assert.Equal(new CatalogueStoreResult(0, 0, 0), await Writer.WriteAsync(Stream, batch, CancellationToken.None));
    }

    [Fact]
    public async Task A_message_another_transaction_stores_while_the_batch_is_written_is_stored_once()
    {
        // Two stores holding one message (the broker allows it after AckWait): the other one has inserted seq 3 and
        // not committed when this batch looks at what is stored, so the batch finds nothing stored and waits on the key.
        await using var other = await DataSource.OpenConnectionAsync();
        await using var otherTransaction = await other.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO sport_event (stream, stream_seq, sport, match_title, data_event, published_at) " +
            "VALUES ($1, 3, 'football', 'stored by the other store', 'goal', $2)", other, otherTransaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Stream });
            insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = Published.UtcDateTime });
            await insert.ExecuteNonQueryAsync();
        }

        var batch = new FeedBatch();
        for (var i = 1; i <= 5; i++)
        {
            FeedDecoder.Decode(FeedSubjects.SportEvent, TestFeed.SportEventBytes(i), (ulong)i, Published, batch);
        }

        var writing = Writer.WriteAsync(Stream, batch, CancellationToken.None);
        await using var waiting = DataSource.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
        await Eventually.Until(
            async () => (long)(await waiting.ExecuteScalarAsync())! > 0, TimeSpan.FromSeconds(30), "the batch waits for the other store's insert");
        await otherTransaction.CommitAsync();
        var written = await writing;

        Assert.Equal(new CatalogueStoreResult(4, 0, 0), written);
        Assert.Equal(5, await CountAsync("sport_event"));
        Assert.Equal("stored by the other store", await ScalarAsync<string>("SELECT match_title FROM sport_event WHERE stream = $1 AND stream_seq = 3"));
    }

    [Fact]
    public async Task A_message_stored_as_a_reject_is_not_stored_again_when_a_later_delivery_decodes()
    {
        var asReject = new FeedBatch();
        asReject.Rejects.Add(new FeedRejectRow(1, FeedSubjects.SportEvent, TestFeed.SportEventBytes(0), "an older decoder refused it", Published));
        await Writer.WriteAsync(Stream, asReject, CancellationToken.None);

        var decoded = new FeedBatch();
        FeedDecoder.Decode(FeedSubjects.SportEvent, TestFeed.SportEventBytes(0), 1, Published, decoded);
        var written = await Writer.WriteAsync(Stream, decoded, CancellationToken.None);

        Assert.Equal(new CatalogueStoreResult(0, 0, 0), written);
        Assert.Equal(0, await CountAsync("sport_event"));
        Assert.Equal(1, await CountAsync("feed_rejects"));
    }

    [Fact]
    public async Task A_stored_message_is_not_stored_again_as_a_reject_when_a_later_delivery_does_not_decode()
    {
        var decoded = new FeedBatch();
        FeedDecoder.Decode(FeedSubjects.Execution, TestFeed.ExecutionBytes(0), 1, Published, decoded);
        await Writer.WriteAsync(Stream, decoded, CancellationToken.None);

        var asReject = new FeedBatch();
        asReject.Rejects.Add(new FeedRejectRow(1, FeedSubjects.Execution, TestFeed.ExecutionBytes(0), "a newer decoder refuses it", Published));
        var written = await Writer.WriteAsync(Stream, asReject, CancellationToken.None);

        Assert.Equal(new CatalogueStoreResult(0, 0, 0), written);
        Assert.Equal(1, await CountAsync("execution"));
        Assert.Equal(0, await CountAsync("feed_rejects"));
    }

    [Fact]
    public async Task Batches_numbered_above_everything_stored_are_stored_whole_with_their_values_and_rejects()
    {
        for (var start = 0; start < 20; start += 10)
        {
            var batch = new FeedBatch();
            for (var i = start; i < start + 9; i++)
            {
                var seq = (ulong)i + 1;
                if (i % 2 == 0)
                {
                    FeedDecoder.Decode(FeedSubjects.SportEvent, TestFeed.SportEventBytes(i), seq, Published, batch);
                }
                else
                {
                    FeedDecoder.Decode(FeedSubjects.Execution, TestFeed.ExecutionBytes(i), seq, Published, batch);
                }
            }

            batch.Rejects.Add(new FeedRejectRow((ulong)start + 10, FeedSubjects.Execution, new byte[] { 1, 2, 3 }, "does not decode", Published));
            var written = await Writer.WriteAsync(Stream, batch, CancellationToken.None);
            Assert.Equal(new CatalogueStoreResult(5, 4, 1), written);
        }

        Assert.Equal((10L, 8L, 2L), (await CountAsync("sport_event"), await CountAsync("execution"), await CountAsync("feed_rejects")));
        Assert.Equal(
            $"11|{TestFeed.SportLabel(10)}|match 10|{Published.ToUnixTimeSeconds()}",
            await ScalarAsync<string>(
                "SELECT concat_ws('|', stream_seq, sport, match_title, extract(epoch FROM published_at)::bigint) " +
                "FROM sport_event WHERE stream = $1 AND stream_seq = 11"));
        Assert.Equal(
            "12|SYM1|NYSE|ST11",
            await ScalarAsync<string>(
                "SELECT concat_ws('|', stream_seq, symbol, market, state_symbol) FROM execution WHERE stream = $1 AND stream_seq = 12"));
    }

    // An execution the decoder accepts and the no_poison constraint refuses.
    internal static byte[] Poison() => Google.Protobuf.MessageExtensions.ToByteArray(new execution
    {
        Symbol = "POISON", Market = "NYSE", Price = 1, Quantity = 1, ExecutionEpoch = TestFeed.EpochBase, StateSymbol = "FILLED",
    });

    private async Task<long> CountAsync(string table) =>
        await ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE stream = $1");

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Stream });
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
