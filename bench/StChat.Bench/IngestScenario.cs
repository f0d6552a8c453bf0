using System.Diagnostics;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;
using StChat.Storage;

namespace StChat.Bench;

// Ingest, four ways over one corpus: COPY with no broker (the physical limit), the exactly-once worker draining a
// stream that already holds the corpus, the original design (core subscription, one INSERT and commit per message),
// and feed-to-row latency of the worker at a steady publish rate.
internal sealed partial class IngestScenario(BenchEnvironment env)
{
    internal const string Stream = "FEEDS";
    internal const string Consumer = "stchat-ingest";

    public async Task<IngestResult> RunAsync(CancellationToken ct)
    {
        var settings = env.Settings;
        BenchEnvironment.Log($"ingest: building a corpus of {settings.IngestMessages:N0} feed messages");
        var corpus = FeedCorpus.Create(settings.IngestMessages);

        var (copySeconds, decodeRate) = await RunCopyLimitAsync(corpus, ct);
        BenchEnvironment.Log($"ingest: COPY-only {corpus.Count / copySeconds:N0} rows/s");

        var prefillSeconds = await PrefillAsync(corpus, ct);
        BenchEnvironment.Log($"ingest: stream prefilled in {prefillSeconds:N1} s");

        var connectionString = await env.Postgres.CreateDatabaseAsync("bench_ingest", ct);
        await using var worker = await env.StartServerAsync("ingest", "Consuming stream", new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["Nats__Url"] = env.Nats.Url,
        }, [], ct);
        var started = Stopwatch.GetTimestamp();
        var rows = await WaitUntilDrainedAsync(connectionString, corpus.Count, TimeSpan.FromMinutes(8), ct);
        var exactlyOnceSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        BenchEnvironment.Log($"ingest: exactly-once {corpus.Count / exactlyOnceSeconds:N0} msgs/s ({rows:N0} rows)");

        var latency = await RunLatencyAsync(connectionString, ct);
        BenchEnvironment.Log($"ingest: feed->row p50 {latency.PercentileMs(0.5):N1} ms p99 {latency.PercentileMs(0.99):N1} ms");

        var (originalSeconds, originalStored) = await RunOriginalDesignAsync(corpus, ct);
        BenchEnvironment.Log($"ingest: original design {originalStored / originalSeconds:N0} msgs/s");

        return new IngestResult
        {
            Messages = corpus.Count,
            PayloadBytes = corpus.Bytes,
            PrefillSeconds = prefillSeconds,
            ExactlyOnceSeconds = exactlyOnceSeconds,
            ExactlyOnceRate = corpus.Count / exactlyOnceSeconds,
            ExactlyOnceRows = rows,
            ExactlyOnceConfig = "config/appsettings.json defaults (Ingest:BatchSize 500, MaxAckPending 5000)",
            CopySeconds = copySeconds,
            CopyRate = corpus.Count / copySeconds,
            DecodeRate = decodeRate,
            OriginalSeconds = originalSeconds,
            OriginalStored = originalStored,
            OriginalRate = originalStored / originalSeconds,
            LatencyTargetRate = settings.LatencyRate,
            LatencyActualRate = _latencyActualRate,
            LatencySamples = latency.Count,
            LatencyP50Ms = latency.PercentileMs(0.5),
            LatencyP99Ms = latency.PercentileMs(0.99),
            LatencyMaxMs = latency.MaxMs,
            PostgresSettings = $"fsync={await env.Postgres.SettingAsync("fsync", ct)}, synchronous_commit={await env.Postgres.SettingAsync("synchronous_commit", ct)}, " +
                $"full_page_writes={await env.Postgres.SettingAsync("full_page_writes", ct)}, shared_buffers={await env.Postgres.SettingAsync("shared_buffers", ct)}",
        };
    }

    // Publishes the corpus into the stream the worker reads (same configuration the worker creates), then checks the
    // stream holds all of it.
    internal async Task<double> PrefillAsync(FeedCorpus corpus, CancellationToken ct)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = env.Nats.Url, Name = "bench-prefill" });
        var js = new NatsJSContext(nats);
        await js.CreateOrUpdateStreamAsync(new StreamConfig
        {
            Name = Stream,
            Subjects = [.. StChat.Contracts.FeedSubjects.All],
            Storage = StreamConfigStorage.File,
            Retention = StreamConfigRetention.Limits,
            MaxAge = TimeSpan.FromDays(7),
            DuplicateWindow = TimeSpan.FromMinutes(2),
        }, ct);
        var started = Stopwatch.GetTimestamp();
        await StreamFill.PublishCoreAsync(nats, corpus.Subjects, corpus.Payloads, corpus.Count, ct);
        await StreamFill.WaitUntilStoredAsync(js, Stream, corpus.Count, ct);
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    // Done when the consumer has nothing pending or unacknowledged (acks follow commits) and the rows are all there.
    private async Task<long> WaitUntilDrainedAsync(string connectionString, int expected, TimeSpan timeout, CancellationToken ct)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = env.Nats.Url, Name = "bench-watch" });
        var js = new NatsJSContext(nats);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100, ct);
            var info = (await js.GetConsumerAsync(Stream, Consumer, ct)).Info;
            if (info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.StreamSeq >= (ulong)expected)
            {
                var rows = await CountRowsAsync(connectionString, ct);
                if (rows >= expected)
                {
                    return rows;
                }
            }
        }

        throw new TimeoutException($"The ingest worker did not store {expected} messages within {timeout}.");
    }

    internal static async Task<long> CountRowsAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM sport_event) + (SELECT count(*) FROM execution) + (SELECT count(*) FROM feed_rejects)", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<string> MigratedDatabaseAsync(string name, CancellationToken ct)
    {
        var connectionString = await env.Postgres.CreateDatabaseAsync(name, ct);
        await Migrator.MigrateAsync(connectionString, null, ct);
        return connectionString;
    }
}
