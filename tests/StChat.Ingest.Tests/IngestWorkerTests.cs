using System.Globalization;
using Npgsql;
using StChat.Contracts;
using NATS.Client.JetStream;
using StChat.Storage;
using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

// The worker in-process against a real nats-server and PostgreSQL; a fresh server and database per test.
public sealed class IngestWorkerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string _stream = "FEEDS_" + Guid.NewGuid().ToString("N")[..8];
    private NatsServer? _nats;
    private string? _postgres;

    private NatsServer Nats => _nats!;

    private string Postgres => _postgres!;

    private string Consumer => _stream + "-ingest";

    public async ValueTask InitializeAsync()
    {
        _nats = await NatsServer.StartAsync();
        _postgres = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync("ingest");
    }

    public async ValueTask DisposeAsync()
    {
        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }
    }

    [Fact]
    public async Task Every_published_message_is_stored_once_with_its_decoded_values()
    {
        const int n = 5000;
        await using var worker = IngestHost.Create(Postgres, Nats.Url, _stream);
        await PublishAndStoreExactlyAsync(worker, n);
        await Eventually.Until(() => Task.FromResult(worker.Logs.Contains("Ingest progress")), Patience, "the worker logs its progress");
    }

    [Fact]
    public async Task With_double_ack_every_message_is_stored_once_and_every_ack_is_confirmed()
    {
        const int n = 2000;
        await using var worker = IngestHost.Create(Postgres, Nats.Url, _stream,
            new Dictionary<string, string?> { ["Ingest:DoubleAck"] = "true", ["Ingest:BatchSize"] = "250" });
        await PublishAndStoreExactlyAsync(worker, n);
        Assert.False(worker.Logs.Contains("Acknowledging a stored batch"), worker.Logs.ToString());
    }

    [Fact]
    public async Task Messages_published_while_the_worker_is_down_are_stored_when_it_starts()
    {
        const int n = 2000;
        await using (var first = IngestHost.Create(Postgres, Nats.Url, _stream))
        {
            await first.StartAsync();
            await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);
            await TestPublisher.PublishAsync(Nats.Url, 0, n / 2);
            await Eventually.Until(() => new Catalogue(Postgres, _stream).HasAsync(n / 2, n / 2), Patience, "the first half is stored");
        }

        await TestPublisher.PublishAsync(Nats.Url, n / 2, n / 2);

        await using var second = IngestHost.Create(Postgres, Nats.Url, _stream);
        await second.StartAsync();
        var catalogue = new Catalogue(Postgres, _stream);
        await Eventually.Until(() => catalogue.HasAsync(n, n), Patience, "what was published while no worker ran is stored");
        await Broker.WaitUntilAllAcknowledgedAsync(Nats.Url, _stream, Consumer);
        await catalogue.AssertExactlyAsync(n);
    }

    [Fact]
    public async Task Malformed_payload_lands_in_feed_rejects_and_later_messages_are_stored()
    {
        await using var worker = IngestHost.Create(Postgres, Nats.Url, _stream);
        await worker.StartAsync();
        await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);

        byte[] garbage = [0xFF, 0xFF, 0xFF, 0x00, 0x42];
        var partial = Google.Protobuf.MessageExtensions.ToByteArray(new execution { Symbol = "AAPL" });
        await TestPublisher.PublishRawAsync(Nats.Url,
            (FeedSubjects.SportEvent, TestFeed.SportEventBytes(0)), (FeedSubjects.SportEvent, garbage), (FeedSubjects.Execution, partial));

        await TestPublisher.PublishAsync(Nats.Url, 1, 99);

        var catalogue = new Catalogue(Postgres, _stream);
        await Eventually.Until(async () => await catalogue.HasAsync(100, 99) && await catalogue.CountAsync("feed_rejects") == 2,
            Patience, "the valid messages and both rejects are stored");
        await Broker.WaitUntilAllAcknowledgedAsync(Nats.Url, _stream, Consumer);

        await using var db = new NpgsqlConnection(Postgres);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT stream_seq, subject, payload, error FROM feed_rejects WHERE stream = $1 ORDER BY stream_seq", db);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _stream });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((2L, FeedSubjects.SportEvent), (reader.GetInt64(0), reader.GetString(1)));
        Assert.Equal(garbage, (byte[])reader[2]);
        Assert.Contains("does not decode as event", reader.GetString(3), StringComparison.Ordinal);
        Assert.True(await reader.ReadAsync());
        Assert.Equal((3L, FeedSubjects.Execution), (reader.GetInt64(0), reader.GetString(1)));
        Assert.Equal(partial, (byte[])reader[2]);
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task Stream_recreated_under_the_same_name_is_refused_instead_of_taken_for_stored_rows()
    {
        await using (var first = IngestHost.Create(Postgres, Nats.Url, _stream))
        {
            await first.StartAsync();
            await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);
        }

        await using (var connection = Broker.Connect(Nats.Url))
        {
            await new NatsJSContext(connection).DeleteStreamAsync(_stream);
        }

        await using var second = IngestHost.Create(Postgres, Nats.Url, _stream);
        await second.StartAsync();

        await Eventually.Until(() => Task.FromResult(second.Logs.Contains("Set Ingest:Stream to a new name")), Patience,
            "the worker refuses the recreated stream and says what to do");
    }

    [Fact]
    public async Task Stream_recreated_while_the_worker_runs_stops_it_at_the_next_batch_without_acknowledging()
    {
        const int n = 20;
        await using (var first = IngestHost.Create(Postgres, Nats.Url, _stream))
        {
            await first.StartAsync();
            await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);
            await TestPublisher.PublishAsync(Nats.Url, 0, n);
            await Eventually.Until(() => new Catalogue(Postgres, _stream).HasAsync(n, n), Patience, "the first stream's messages are stored");
            await Broker.WaitUntilAllAcknowledgedAsync(Nats.Url, _stream, Consumer);
        }

        // The stream and consumer are created again, and the catalogue is left believing this incarnation is the one
        // it knows: that is how things stand when the recreation happens after the worker's start-up check.
        var options = new IngestOptions { Stream = _stream, Consumer = Consumer };
        await using (var connection = Broker.Connect(Nats.Url))
        {
            var js = new NatsJSContext(connection);
            await js.DeleteStreamAsync(_stream);
            var recreated = (await js.CreateOrUpdateStreamAsync(FeedConsumer.StreamConfigFor(options))).Info;
            await js.CreateOrUpdateConsumerAsync(_stream, FeedConsumer.ConsumerConfigFor(options));
            await using var db = NpgsqlDataSource.Create(Postgres);
            await using var update = db.CreateCommand("UPDATE feed_streams SET created_at = $2 WHERE stream = $1");
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _stream });
            update.Parameters.Add(new NpgsqlParameter<DateTime>
            {
                TypedValue = PostgresTimestamp.ToMicroseconds(recreated.Created), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz,
            });
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        await TestPublisher.PublishAsync(Nats.Url, n, 5);
        await using var second = IngestHost.Create(Postgres, Nats.Url, _stream);
        await second.StartAsync();

        await Eventually.Until(() => Task.FromResult(second.Logs.Contains("was deleted and created again while the worker ran")),
            Patience, "the worker notices that stored sequence numbers now name other messages");
        Assert.Contains("Set Ingest:Stream to a new name", second.Logs.ToString(), StringComparison.Ordinal);
        Assert.True(await Broker.AckPendingAsync(Nats.Url, _stream, Consumer) > 0, "the new messages are left unacknowledged");

        var catalogue = new Catalogue(Postgres, _stream);
        Assert.Equal(n, await catalogue.CountAsync("sport_event"));
        Assert.Equal(n, await catalogue.CountAsync("execution"));
        await catalogue.AssertExactlyAsync(n);
    }

    [Fact]
    public async Task A_message_PostgreSQL_refuses_lands_in_feed_rejects_and_the_stream_moves_on()
    {
        await Storage.Migrator.MigrateAsync(Postgres);
        await using (var db = NpgsqlDataSource.Create(Postgres))
        {
            await using var constraint = db.CreateCommand("ALTER TABLE execution ADD CONSTRAINT no_poison CHECK (symbol <> 'POISON')");
            await constraint.ExecuteNonQueryAsync();
        }

        await using var worker = IngestHost.Create(Postgres, Nats.Url, _stream);
        await worker.StartAsync();
        await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);

        await TestPublisher.PublishAsync(Nats.Url, 0, 50);
        await TestPublisher.PublishRawAsync(Nats.Url, (FeedSubjects.Execution, CatalogueStoreTests.Poison()));

        await TestPublisher.PublishAsync(Nats.Url, 50, 50);

        var catalogue = new Catalogue(Postgres, _stream);
        await Eventually.Until(async () => await catalogue.HasAsync(100, 100) && await catalogue.CountAsync("feed_rejects") == 1,
            Patience, "the refused message is set aside and everything around it is stored");
        await Broker.WaitUntilAllAcknowledgedAsync(Nats.Url, _stream, Consumer);
        await catalogue.AssertExactlyAsync(100);
        await using var dataSource = NpgsqlDataSource.Create(Postgres);
        await using var command = dataSource.CreateCommand("SELECT stream_seq, subject, error FROM feed_rejects WHERE stream = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _stream });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((101L, FeedSubjects.Execution), (reader.GetInt64(0), reader.GetString(1)));
        Assert.Contains("no_poison", reader.GetString(2), StringComparison.Ordinal);
        Assert.True(worker.Logs.Contains("PostgreSQL refused message 101"), worker.Logs.ToString());
    }

    [Fact]
    public async Task Missing_table_is_reported_with_its_fix_and_the_held_batch_is_stored_once_it_is_back()
    {
        await Storage.Migrator.MigrateAsync(Postgres);
        await using var db = NpgsqlDataSource.Create(Postgres);
        await using var worker = IngestHost.Create(Postgres, Nats.Url, _stream);
        await worker.StartAsync();
        await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);
        await using (var away = db.CreateCommand("ALTER TABLE execution RENAME TO execution_away"))
        {
            await away.ExecuteNonQueryAsync();
        }

        await TestPublisher.PublishAsync(Nats.Url, 0, 10);
        await Eventually.Until(() => Task.FromResult(worker.Logs.Contains("run `./stchat migrate`")), Patience,
            "the worker says how to fix the schema");
        await using (var back = db.CreateCommand("ALTER TABLE execution_away RENAME TO execution"))
        {
            await back.ExecuteNonQueryAsync();
        }

        var catalogue = new Catalogue(Postgres, _stream);
        await Eventually.Until(() => catalogue.HasAsync(10, 10), Patience, "the held batch is stored once the table is back");
        await Broker.WaitUntilAllAcknowledgedAsync(Nats.Url, _stream, Consumer);
        await catalogue.AssertExactlyAsync(10);
        var error = Assert.Single(worker.Logs.Lines, l => l.Contains("SQLSTATE 42P01", StringComparison.Ordinal));
        Assert.StartsWith("Error ", error, StringComparison.Ordinal);
        Assert.True(worker.Logs.Contains("PostgreSQL is back"), worker.Logs.ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Stopping_gives_back_the_batches_being_stored_and_the_one_fetched_behind_them(int storesInFlight)
    {
        const int n = 500;
        var settings = new Dictionary<string, string?>
        {
            ["Ingest:BatchSize"] = "100",
            ["Ingest:StoresInFlight"] = storesInFlight.ToString(CultureInfo.InvariantCulture),
        };
        await Storage.Migrator.MigrateAsync(Postgres);
        await using var db = NpgsqlDataSource.Create(Postgres);
        await using (var first = IngestHost.Create(Postgres, Nats.Url, _stream, settings))
        {
            await first.StartAsync();
            await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);
        }

        await using (var away = db.CreateCommand("ALTER TABLE execution RENAME TO execution_away"))
        {
            await away.ExecuteNonQueryAsync();
        }

        await TestPublisher.PublishAsync(Nats.Url, 0, n);
        await using (var failing = IngestHost.Create(Postgres, Nats.Url, _stream, settings))
        {
            await failing.StartAsync();
            await Eventually.Until(
                async () => failing.Logs.Lines.Count(l => l.Contains("SQLSTATE 42P01", StringComparison.Ordinal)) >= storesInFlight
                    && await Broker.AckPendingAsync(Nats.Url, _stream, Consumer) == (storesInFlight + 1) * 100, Patience,
                "every store fails and another batch is held behind them");
            await failing.StopAsync();
            var returned = failing.Logs.Lines.Where(l => l.Contains("Returning 100 unstored", StringComparison.Ordinal)).ToList();
            Assert.True(returned.Count == storesInFlight + 1, failing.Logs.ToString());
            Assert.Equal(storesInFlight, returned.Count(l => l.Contains("PostgreSQL is unavailable", StringComparison.Ordinal)));
            Assert.Single(returned, l => l.Contains("the batch fetched behind was stored", StringComparison.Ordinal));
        }

        await using (var back = db.CreateCommand("ALTER TABLE execution_away RENAME TO execution"))
        {
            await back.ExecuteNonQueryAsync();
        }

        await using var worker = IngestHost.Create(Postgres, Nats.Url, _stream, settings);
        await worker.StartAsync();
        var catalogue = new Catalogue(Postgres, _stream);
        await Eventually.Until(() => catalogue.HasAsync(n, n), Patience, "the returned messages are stored");
        await Broker.WaitUntilAllAcknowledgedAsync(Nats.Url, _stream, Consumer);
        await catalogue.AssertExactlyAsync(n);
    }

    [Fact]
    public async Task A_batch_written_twice_is_stored_once()
    {
        await Storage.Migrator.MigrateAsync(Postgres);
        await using var dataSource = NpgsqlDataSource.Create(Postgres);
        await using var store = new CatalogueStore(
            dataSource,
            Microsoft.Extensions.Options.Options.Create(new IngestOptions()),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<CatalogueStore>.Instance);
        var batch = new FeedBatch();
        for (var i = 0; i < 10; i++)
        {
            FeedDecoder.Decode(FeedSubjects.SportEvent, TestFeed.SportEventBytes(i), (ulong)(3 * i) + 1, DateTimeOffset.UtcNow, batch);
            FeedDecoder.Decode(FeedSubjects.Execution, TestFeed.ExecutionBytes(i), (ulong)(3 * i) + 2, DateTimeOffset.UtcNow, batch);
            FeedDecoder.Decode(FeedSubjects.Execution, new byte[] { 0xFF }, (ulong)(3 * i) + 3, DateTimeOffset.UtcNow, batch);
        }

        var first = await store.WriteAsync(_stream, batch, CancellationToken.None);
        var second = await store.WriteAsync(_stream, batch, CancellationToken.None);

        Assert.Equal(new CatalogueStoreResult(10, 10, 10), first);
        Assert.Equal(new CatalogueStoreResult(0, 0, 0), second);
        await new Catalogue(Postgres, _stream).AssertExactlyAsync(10);
    }

    [Fact]
    public async Task Invalid_settings_stop_the_start_with_a_message_naming_them()
    {
        await using var worker = IngestHost.Create(Postgres, Nats.Url, _stream,
            new Dictionary<string, string?> { ["Ingest:BatchSize"] = "0" });

        var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(worker.StartAsync);

        Assert.Contains("Ingest:BatchSize", e.Message, StringComparison.Ordinal);
    }

    // Starts the worker, publishes messages 0..n-1 on each subject and checks that each is stored once and acked.
    private async Task PublishAndStoreExactlyAsync(IngestHost worker, int n)
    {
        await worker.StartAsync();
        await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);

        await TestPublisher.PublishAsync(Nats.Url, 0, n);

        var catalogue = new Catalogue(Postgres, _stream);
        await Eventually.Until(() => catalogue.HasAsync(n, n), Patience, $"{n} rows per table are stored");
        await Broker.WaitUntilAllAcknowledgedAsync(Nats.Url, _stream, Consumer);
        await catalogue.AssertExactlyAsync(n);
    }
}
