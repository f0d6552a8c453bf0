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

    // The candidates for a faster exactly-once store, each a configuration of the real worker; the default last.
    private static readonly IngestVariant[] Variants =
    [
        new("Unnest parameters, guarded inserts, 1 store in flight, batches of 500",
            new() { ["Ingest__StoreMethod"] = "Unnest", ["Ingest__StoresInFlight"] = "1", ["Ingest__BatchSize"] = "500" }),
        new("COPY, every batch through staging, 2 stores in flight, batches of 2,000", new() { ["Ingest__StoreMethod"] = "CopyStaged" }),
        new("COPY, 1 store in flight, batches of 500", new() { ["Ingest__StoresInFlight"] = "1", ["Ingest__BatchSize"] = "500" }),
        new("COPY, 2 stores in flight, batches of 500", new() { ["Ingest__BatchSize"] = "500" }),
        new("COPY, 4 stores in flight, batches of 500", new() { ["Ingest__StoresInFlight"] = "4", ["Ingest__BatchSize"] = "500" }),
        new("COPY, 2 stores in flight, batches of 5,000", new() { ["Ingest__BatchSize"] = "5000", ["Ingest__MaxAckPending"] = "40000" }),
        // Runtime settings rather than StChat's, given as the environment since the GC is chosen before the process starts
        // (the ingest service of docker-compose.yml and ./stchat ingest set them): server GC without DATAS has a heap per
        // core, each with a larger gen0 budget than workstation GC's, so the batches in flight live through fewer collections.
        new("COPY, 2 stores in flight, batches of 2,000, server GC without dynamic adaptation (DATAS), as docker-compose.yml runs it",
            new() { ["DOTNET_gcServer"] = "1", ["DOTNET_GCDynamicAdaptationMode"] = "0" }),
        new("COPY, 2 stores in flight, batches of 2,000 (default)", [], IsDefault: true),
    ];

    private sealed record IngestVariant(string Name, Dictionary<string, string> Settings, bool IsDefault = false);

    internal static (TimeSpan Worker, TimeSpan Nats, TimeSpan Postgres) CpuOnThePath(BenchEnvironment env, ChildProcess worker) => (
        worker.CpuTime(),
        env.Nats.ProcessId is { } nats ? ProcessCpu.Of(nats) : TimeSpan.Zero,
        ProcessCpu.OfPostgres(env.Postgres.DataDirectory));

    private static string SettingsText(Dictionary<string, string> settings) => settings.Count == 0
        ? "defaults"
        : string.Join(" ", settings.Select(s => $"{s.Key.Replace("__", ":", StringComparison.Ordinal)}={s.Value}"));

    public async Task<IngestResult> RunAsync(CancellationToken ct)
    {
        var settings = env.Settings;
        BenchEnvironment.Log($"ingest: building a corpus of {settings.IngestMessages:N0} feed messages");
        var corpus = FeedCorpus.Create(settings.IngestMessages);

        var (copySeconds, decodeRate) = await RunCopyLimitAsync(corpus, ct);
        BenchEnvironment.Log($"ingest: COPY-only {corpus.Count / copySeconds:N0} rows/s");

        var prefillSeconds = await PrefillAsync(corpus, ct);
        BenchEnvironment.Log($"ingest: stream prefilled in {prefillSeconds:N1} s");

        // Every variant drains the whole backlog from the start through its own durable consumer into its own
        // database; the default configuration goes last and stays up for the latency runs.
        var variants = new List<IngestVariantResult>();
        ChildProcess? worker = null;
        var latency = new List<IngestLatencyResult>();
        try
        {
            for (var v = 0; v < Variants.Length; v++)
            {
                var variant = Variants[v];
                var database = $"bench_ingest_{v}";
                var connectionString = await env.Postgres.CreateDatabaseAsync(database, ct);
                var consumer = $"{Consumer}-{v}";
                var workerEnv = new Dictionary<string, string>(variant.Settings)
                {
                    ["ConnectionStrings__Postgres"] = connectionString,
                    ["Nats__Url"] = env.Nats.Url,
                    ["Ingest__Consumer"] = consumer,
                };
                worker = await env.StartServerAsync("ingest", "Consuming stream", workerEnv, [], ct);
                var cpuBefore = CpuOnThePath(env, worker);
                var started = Stopwatch.GetTimestamp();
                var rows = await WaitUntilDrainedAsync(connectionString, consumer, corpus.Count, TimeSpan.FromMinutes(8), ct);
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                var cpu = CpuOnThePath(env, worker);
                variants.Add(new IngestVariantResult(variant.Name, SettingsText(variant.Settings), variant.IsDefault, seconds, corpus.Count / seconds, rows)
                {
                    WorkerCpuSeconds = (cpu.Worker - cpuBefore.Worker).TotalSeconds,
                    NatsCpuSeconds = (cpu.Nats - cpuBefore.Nats).TotalSeconds,
                    PostgresCpuSeconds = (cpu.Postgres - cpuBefore.Postgres).TotalSeconds,
                });
                BenchEnvironment.Log($"ingest: {variant.Name}: {corpus.Count / seconds:N0} msgs/s ({rows:N0} rows)");
                if (variant.IsDefault)
                {
                    await VacuumAsync(connectionString, ct);
                    foreach (var rate in settings.LatencyRates)
                    {
                        latency.Add(await RunLatencyAsync(connectionString, rate, ct));
                        BenchEnvironment.Log($"ingest: feed->row at {rate:N0}/s: p50 {latency[^1].P50Ms:N1} ms p99 {latency[^1].P99Ms:N1} ms");
                    }
                }

                await worker.DisposeAsync();
                worker = null;

                // A candidate's million rows are of no further use, and autovacuum's first pass over them would run
                // during the next candidate's drain or the latency runs.
                if (!variant.IsDefault)
                {
                    await env.Postgres.DropDatabaseAsync(database, ct);
                }
            }
        }
        finally
        {
            if (worker is not null)
            {
                await worker.DisposeAsync();
            }
        }

        var headline = variants.Single(v => v.IsDefault);

        var (originalSeconds, originalStored) = await RunOriginalDesignAsync(corpus, ct);
        BenchEnvironment.Log($"ingest: original design {originalStored / originalSeconds:N0} msgs/s");

        return new IngestResult
        {
            Messages = corpus.Count,
            PayloadBytes = corpus.Bytes,
            PrefillSeconds = prefillSeconds,
            ExactlyOnceSeconds = headline.Seconds,
            ExactlyOnceRate = headline.Rate,
            ExactlyOnceRows = headline.Rows,
            ExactlyOnceConfig = "config/appsettings.json defaults",
            Variants = variants,
            Latency = latency,
            CopySeconds = copySeconds,
            CopyRate = corpus.Count / copySeconds,
            DecodeRate = decodeRate,
            OriginalSeconds = originalSeconds,
            OriginalStored = originalStored,
            OriginalRate = originalStored / originalSeconds,
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
    private async Task<long> WaitUntilDrainedAsync(
        string connectionString, string consumer, int expected, TimeSpan timeout, CancellationToken ct)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = env.Nats.Url, Name = "bench-watch" });
        var js = new NatsJSContext(nats);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100, ct);
            var info = (await js.GetConsumerAsync(Stream, consumer, ct)).Info;
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

    // What autovacuum does soon after a burst of a million rows, done before the latency runs so that its first pass
    // over the new rows is not part of them.
    private static Task VacuumAsync(string connectionString, CancellationToken ct) =>
        BenchPostgres.MaintainAsync(connectionString, "VACUUM (ANALYZE) sport_event, execution, feed_rejects", ct);

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
