using System.Diagnostics;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace StChat.Bench;

internal sealed partial class GrowthScenario
{
    // Rows of the worker's stream only: the pre-filled rows belong to another stream and are not counted.
    private const string CountStreamRows = """
        SELECT (SELECT count(*) FROM sport_event WHERE stream = $1)
             + (SELECT count(*) FROM execution WHERE stream = $1)
             + (SELECT count(*) FROM feed_rejects WHERE stream = $1)
        """;

    // The ingest scenario's worker and stream fill, as the scale section runs them: a fresh stream, the worker started
    // (it creates the stream and its durable consumer) and stopped while the corpus is published, then continued, so
    // the clock runs from the moment it consumes until the consumer has nothing pending or unacknowledged.
    // Each run starts from a checkpoint, so neither pays for writing out what the fills (or the other run) left dirty.
    private async Task<GrowthIngestRun> RunIngestAsync(string catalogue, string connectionString, long rowsBefore, FeedCorpus corpus, CancellationToken ct)
    {
        await ScaleScenario.DeleteStreamAsync(env, ct);
        await BenchPostgres.MaintainAsync(connectionString, "CHECKPOINT", ct);
        await using var worker = await env.StartServerAsync("ingest", "Consuming stream", new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["Nats__Url"] = env.Nats.Url,
        }, [], ct);
        await ScaleScenario.SignalAsync(worker.Pid, "STOP", ct);
        await new IngestScenario(env).PrefillAsync(corpus, ct);
        var blocksBefore = await BlocksAsync(connectionString, ct);
        var cpuBefore = IngestScenario.CpuOnThePath(env, worker);
        var started = Stopwatch.GetTimestamp();
        await ScaleScenario.SignalAsync(worker.Pid, "CONT", ct);
        await WaitUntilDrainedAsync(corpus.Count, TimeSpan.FromMinutes(10), ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = IngestScenario.CpuOnThePath(env, worker);
        var blocks = await BlocksAsync(connectionString, ct);
        var rows = await CountStreamRowsAsync(connectionString, ct);
        BenchEnvironment.Log($"growth: ingest into the {catalogue} catalogue ({rowsBefore:N0} rows): {corpus.Count / seconds:N0} msgs/s, {rows:N0} rows");
        return new GrowthIngestRun(catalogue, rowsBefore, corpus.Count, seconds, corpus.Count / seconds, rows)
        {
            WorkerCpuSeconds = (cpu.Worker - cpuBefore.Worker).TotalSeconds,
            NatsCpuSeconds = (cpu.Nats - cpuBefore.Nats).TotalSeconds,
            PostgresCpuSeconds = (cpu.Postgres - cpuBefore.Postgres).TotalSeconds,
            BlocksRead = blocks.Read - blocksBefore.Read,
            BlocksHit = blocks.Hit - blocksBefore.Hit,
        };
    }

    // The statistics collector's counters lag by up to its reporting interval; read after the drain's last commit
    // they may miss the final moments, equally for both runs.
    private static async Task<(long Read, long Hit)> BlocksAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT blks_read, blks_hit FROM pg_stat_database WHERE datname = current_database()", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    // The worker acknowledges after its commit, so a drained consumer means every message is stored.
    private async Task WaitUntilDrainedAsync(int expected, TimeSpan timeout, CancellationToken ct)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = env.Nats.Url, Name = "bench-growth-watch" });
        var js = new NatsJSContext(nats);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50, ct);
            var info = (await js.GetConsumerAsync(IngestScenario.Stream, IngestScenario.Consumer, ct)).Info;
            if (info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.StreamSeq >= (ulong)expected)
            {
                return;
            }
        }

        throw new TimeoutException($"The ingest worker did not store {expected} messages within {timeout}.");
    }

    private static async Task<long> CountStreamRowsAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(CountStreamRows, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = IngestScenario.Stream });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
