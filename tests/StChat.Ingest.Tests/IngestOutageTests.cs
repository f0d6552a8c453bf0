using System.Diagnostics;
using NATS.Client.JetStream;
using Npgsql;
using StChat.Contracts;
using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

// The worker rides out PostgreSQL and nats-server going away in the middle of a run.
public sealed class IngestOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly string _stream = "FEEDS_" + Guid.NewGuid().ToString("N")[..8];
    private NatsServer? _nats;

    private NatsServer Nats => _nats!;

    private string Consumer => _stream + "-ingest";

    public async ValueTask InitializeAsync() => _nats = await NatsServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }
    }

    [Fact]
    public async Task PostgreSQL_stopped_and_started_during_a_run_loses_and_doubles_nothing()
    {
        const int n = 8000;
        await using var cluster = await PostgresCluster.StartAsync();
        var postgres = await cluster.CreateDatabaseAsync("ingest_outage");
        await using var worker = IngestHost.Create(postgres, Nats.Url, _stream);
        await worker.StartAsync();
        await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);

        var publishing = TestPublisher.PublishAsync(Nats.Url, 0, n, ratePerSubject: 2000);
        var catalogue = new Catalogue(postgres, _stream);
        await Eventually.Until(() => catalogue.HasAsync(500, 500), Patience, "some rows are stored before the outage");

        await cluster.StopAsync();
        await Eventually.Until(() => Task.FromResult(worker.Logs.Contains("nothing of it is acknowledged")), Patience,
            "the worker notices that PostgreSQL is gone");
        await cluster.StartAgainAsync();

        await publishing;
        await Eventually.Until(() => catalogue.HasAsync(n, n), Patience, $"{n} rows per table are stored after the outage");
        await Broker.WaitUntilAllAcknowledgedAsync(Nats.Url, _stream, Consumer);
        await catalogue.AssertExactlyAsync(n);
    }

    // A paused server accepts connections and then answers nothing: no error to retry on, only statements waiting.
    // One message arrives during the pause, so that the worker holds all there is to hold.
    [Fact]
    public async Task PostgreSQL_paused_for_20_seconds_holds_the_batch_and_loses_and_doubles_nothing()
    {
        const int n = 1000;
        var pause = TimeSpan.FromSeconds(20);
        var ackWait = TimeSpan.FromSeconds(6);
        await using var cluster = await PostgresCluster.StartAsync();
        var postgres = await cluster.CreateDatabaseAsync("ingest_pause");
        await using var worker = IngestHost.Create(postgres, Nats.Url, _stream, new Dictionary<string, string?>
        {
            ["Ingest:AckWait"] = ackWait.ToString(),
            ["Ingest:RetryMaxDelay"] = "00:00:01",
        });
        await worker.StartAsync();
        await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);
        var catalogue = new Catalogue(postgres, _stream);
        await TestPublisher.PublishAsync(Nats.Url, 0, n - 1);
        await TestPublisher.PublishRawAsync(Nats.Url, (FeedSubjects.Execution, TestFeed.ExecutionBytes(n - 1)));
        await Eventually.Until(() => catalogue.HasAsync(n - 1, n), Patience, "rows are stored before the pause");

        await cluster.PauseAsync();
        var paused = Stopwatch.StartNew();
        await TestPublisher.PublishRawAsync(Nats.Url, (FeedSubjects.SportEvent, TestFeed.SportEventBytes(n - 1)));
        await Eventually.Until(
            async () => worker.Logs.Contains("PostgreSQL has not answered for")
                && await Broker.AckPendingAsync(Nats.Url, _stream, Consumer) == 1, Patience,
            "the worker holds the message that arrived during the pause");
        Assert.Equal(0, await RedeliveriesToAnotherConsumerAsync(1, ackWait * 3));
        // The rest of the fault's length, not a wait for a condition.
        await Task.Delay(pause - paused.Elapsed is { Ticks: > 0 } rest ? rest : TimeSpan.Zero);
        await cluster.UnpauseAsync();

        await Eventually.Until(() => catalogue.HasAsync(n, n), Patience, "the held message is stored after the pause");
        await Broker.WaitUntilAllAcknowledgedAsync(Nats.Url, _stream, Consumer);
        await catalogue.AssertExactlyAsync(n);
        Assert.True(worker.Logs.Contains("PostgreSQL answered after") || worker.Logs.Contains("PostgreSQL is back"),
            worker.Logs.ToString());
    }

    [Fact]
    public async Task Stopping_while_PostgreSQL_is_paused_gives_the_held_message_back()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        var postgres = await cluster.CreateDatabaseAsync("ingest_pause_stop");
        await using var worker = IngestHost.Create(postgres, Nats.Url, _stream);
        await worker.StartAsync();
        await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);

        await cluster.PauseAsync();
        await TestPublisher.PublishRawAsync(Nats.Url, (FeedSubjects.SportEvent, TestFeed.SportEventBytes(0)));
        await Eventually.Until(
            async () => worker.Logs.Contains("PostgreSQL has not answered for")
                && await Broker.AckPendingAsync(Nats.Url, _stream, Consumer) == 1, Patience,
            "the worker holds the message it cannot store");
        await worker.StopAsync();

        // Given back at once rather than when AckWait (30 s) runs out: another consumer gets it within seconds.
        Assert.True(worker.Logs.Contains("unstored message(s) to the broker"), worker.Logs.ToString());
        Assert.Equal(1, await RedeliveriesToAnotherConsumerAsync(1, TimeSpan.FromSeconds(5)));
    }

    // Down for longer than the client's command timeout and the fetch guard together, so that the worker's calls
    // fail while it reconnects instead of waiting for the server to come back.
    [Fact]
    public async Task Worker_resumes_by_itself_after_nats_server_is_down_for_20_seconds()
    {
        const int n = 2000;
        var postgres = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync("ingest_nats");
        await using var worker = IngestHost.Create(postgres, Nats.Url, _stream);
        await worker.StartAsync();
        await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);
        var catalogue = new Catalogue(postgres, _stream);
        await TestPublisher.PublishAsync(Nats.Url, 0, n / 2);
        await Eventually.Until(() => catalogue.HasAsync(n / 2, n / 2), Patience, "the first half is stored");

        await Nats.StopAsync();
        await Eventually.Until(() => Task.FromResult(worker.Logs.Contains("NATS connection lost")), Patience,
            "the worker notices that nats-server is gone");
        // The length of the fault itself, not a wait for a condition.
        await Task.Delay(TimeSpan.FromSeconds(20));
        await Nats.RestartAsync();

        await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);
        await TestPublisher.PublishAsync(Nats.Url, n / 2, n / 2);
        await Eventually.Until(() => catalogue.HasAsync(n, n), Patience, "the second half is stored after the restart");
        await Broker.WaitUntilAllAcknowledgedAsync(Nats.Url, _stream, Consumer);
        await catalogue.AssertExactlyAsync(n);
    }

    [Fact]
    public async Task A_batch_held_through_a_database_outage_longer_than_the_ack_wait_is_not_handed_to_another_consumer()
    {
        const int n = 50;
        var ackWait = TimeSpan.FromSeconds(4);
        var postgres = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync("ingest_wpi");
        await Storage.Migrator.MigrateAsync(postgres);
        await using var db = NpgsqlDataSource.Create(postgres);
        await using (var away = db.CreateCommand("ALTER TABLE execution RENAME TO execution_away"))
        {
            await away.ExecuteNonQueryAsync();
        }

        var settings = new Dictionary<string, string?>
        {
            ["Ingest:AckWait"] = ackWait.ToString(),
            ["Ingest:RetryMaxDelay"] = "00:00:01",
        };

        // A first worker only sets up the stream and consumer; the messages are published while none runs, so the
        // worker under test finds them all waiting and takes them in one batch, whatever the machine's speed.
        await using (var setup = IngestHost.Create(postgres, Nats.Url, _stream, settings))
        {
            await setup.StartAsync();
            await Broker.WaitForConsumerAsync(Nats.Url, _stream, Consumer);
        }

        await TestPublisher.PublishAsync(Nats.Url, 0, n);
        await using var worker = IngestHost.Create(postgres, Nats.Url, _stream, settings);
        await worker.StartAsync();
        await Eventually.Until(
            async () => worker.Logs.Contains("SQLSTATE 42P01") && await Broker.AckPendingAsync(Nats.Url, _stream, Consumer) == 2 * n,
            Patience, "the worker holds the whole batch it cannot store");

        Assert.Equal(0, await RedeliveriesToAnotherConsumerAsync(2 * n, ackWait * 3));

        Assert.True(worker.Logs.Contains("nothing of it is acknowledged"), worker.Logs.ToString());
        await using (var back = db.CreateCommand("ALTER TABLE execution_away RENAME TO execution"))
        {
            await back.ExecuteNonQueryAsync();
        }

        var catalogue = new Catalogue(postgres, _stream);
        await Eventually.Until(() => catalogue.HasAsync(n, n), Patience, "the held batch is stored once the table is back");
        await Broker.WaitUntilAllAcknowledgedAsync(Nats.Url, _stream, Consumer);
        await catalogue.AssertExactlyAsync(n);
    }

    // A second client pulling from the same durable consumer within `expires` gets whatever the broker redelivers:
    // what the worker gave back, or what it held without +WPI once AckWait had passed.
    private async Task<int> RedeliveriesToAnotherConsumerAsync(int max, TimeSpan expires)
    {
        await using var other = Broker.Connect(Nats.Url);
        var consumer = await new NatsJSContext(other).GetConsumerAsync(_stream, Consumer);
        var redelivered = 0;
        await foreach (var _ in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = max, Expires = expires }))
        {
            redelivered++;
        }

        return redelivered;
    }
}
