using System.Diagnostics;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace StChat.Bench;

internal sealed partial class ScaleScenario
{
    // The ingest scenario's corpus and stream fill, drained by 1 and then 2 workers sharing the durable consumer. The
    // workers start on an empty stream and are stopped (SIGSTOP) while it fills, then continued together: the clock
    // starts with all of them consuming, not with the first one that happened to be ready.
    private async Task<List<ScaleIngestRun>> RunIngestAsync(CancellationToken ct)
    {
        var corpus = FeedCorpus.Create(_settings.IngestMessages);
        var runs = new List<ScaleIngestRun>();
        foreach (var workers in new[] { 1, 2 })
        {
            runs.Add(await RunIngestAsync(corpus, workers, ct));
            await Task.Delay(1000, ct);
        }

        return runs;
    }

    private async Task<ScaleIngestRun> RunIngestAsync(FeedCorpus corpus, int workers, CancellationToken ct)
    {
        await DeleteStreamAsync(env, ct);
        var connectionString = await env.Postgres.CreateDatabaseAsync($"bench_scale_ingest{workers}", ct);
        var processes = new List<ChildProcess>();
        try
        {
            for (var i = 0; i < workers; i++)
            {
                // One at a time: the first migrates the database and creates the stream and consumer.
                processes.Add(await env.StartServerAsync("ingest", "Consuming stream", new Dictionary<string, string>
                {
                    ["ConnectionStrings__Postgres"] = connectionString,
                    ["Nats__Url"] = env.Nats.Url,
                }, [], ct));
            }

            foreach (var process in processes)
            {
                await SignalAsync(process.Pid, "STOP", ct);
            }

            var fillSeconds = await new IngestScenario(env).PrefillAsync(corpus, ct);
            var cpuBefore = processes.Select(p => p.CpuTime()).ToArray();
            var started = Stopwatch.GetTimestamp();
            foreach (var process in processes)
            {
                await SignalAsync(process.Pid, "CONT", ct);
            }

            var rows = await WaitUntilIngestedAsync(connectionString, corpus.Count, TimeSpan.FromMinutes(4), ct);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var cpu = processes.Select((p, i) => (p.CpuTime() - cpuBefore[i]).TotalSeconds).Sum() / seconds * 100;

            // Exactly once: every stream sequence is a primary key, so as many rows as messages means each stored once.
            var exactlyOnce = rows == corpus.Count;
            BenchEnvironment.Log($"scale: ingest with {workers} worker(s): {corpus.Count / seconds:N0} msgs/s, {rows:N0} rows for {corpus.Count:N0} messages, " +
                $"stream filled at {corpus.Count / fillSeconds:N0} msgs/s");
            return new ScaleIngestRun(workers, corpus.Count, fillSeconds, corpus.Count / fillSeconds, seconds, corpus.Count / seconds, rows,
                exactlyOnce, cpu);
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }
        }
    }

    // A fresh stream per run, so the backlog is exactly the corpus (the ingest section leaves its stream behind).
    internal static async Task DeleteStreamAsync(BenchEnvironment env, CancellationToken ct)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = env.Nats.Url, Name = "bench-scale" });
        var js = new NatsJSContext(nats);
        try
        {
            await js.DeleteStreamAsync(IngestScenario.Stream, ct);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
        }
    }

    // Done when the consumer has nothing pending or unacknowledged and the rows have stopped growing; more rows than
    // messages would be a duplicate, fewer a loss, and both are reported as they are.
    private async Task<long> WaitUntilIngestedAsync(string connectionString, int expected, TimeSpan timeout, CancellationToken ct)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = env.Nats.Url, Name = "bench-scale-watch" });
        var js = new NatsJSContext(nats);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100, ct);
            var info = (await js.GetConsumerAsync(IngestScenario.Stream, IngestScenario.Consumer, ct)).Info;
            if (info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.StreamSeq >= (ulong)expected)
            {
                var rows = await IngestScenario.CountRowsAsync(connectionString, ct);
                if (rows >= expected)
                {
                    return rows;
                }
            }
        }

        throw new TimeoutException($"The ingest workers did not store {expected} messages within {timeout}.");
    }

    internal static async Task SignalAsync(int pid, string signal, CancellationToken ct)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("Could not run kill.");
        await kill.WaitForExitAsync(ct);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} exited with {kill.ExitCode}.");
        }
    }
}
