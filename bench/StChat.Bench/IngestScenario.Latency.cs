using System.Diagnostics;
using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace StChat.Bench;

internal sealed partial class IngestScenario
{
    // Fires at commit: NOTIFY is delivered only when the transaction that raised it commits, so the listener learns
    // the moment a row became visible, not the moment it was inserted.
    private const string NotifyTriggerSql = """
        CREATE FUNCTION bench_notify_stored() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('bench_stored', (SELECT max(stream_seq) FROM new_rows)::text);
            RETURN NULL;
        END $$;
        CREATE TRIGGER bench_sport_event_stored AFTER INSERT ON sport_event
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_notify_stored();
        CREATE TRIGGER bench_execution_stored AFTER INSERT ON execution
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_notify_stored();
        """;

    // Publishes at a steady rate into the stream the running worker consumes; feed->row latency is commit
    // notification time minus publish time, per stream sequence.
    private async Task<IngestLatencyResult> RunLatencyAsync(string connectionString, int rate, CancellationToken ct)
    {
        var total = (int)(rate * env.Settings.LatencyDuration.TotalSeconds);
        var histogram = new LatencyHistogram();

        await using var listener = new NpgsqlConnection(connectionString);
        await listener.OpenAsync(ct);
        await using (var command = new NpgsqlCommand(NotifyTriggerSql, listener))
        {
            // One trigger for every rate measured against this database.
            if (!await TriggerExistsAsync(listener, ct))
            {
                await command.ExecuteNonQueryAsync(ct);
            }
        }

        await using (var command = new NpgsqlCommand("LISTEN bench_stored", listener))
        {
            await command.ExecuteNonQueryAsync(ct);
        }

        await using var nats = new NatsConnection(new NatsOpts { Url = env.Nats.Url, Name = "bench-latency" });
        var js = new NatsJSContext(nats);
        var baseSeq = (await js.GetStreamAsync(Stream, cancellationToken: ct)).Info.State.LastSeq;
        var publishedAt = new long[total];
        var covered = baseSeq;
        var allStored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) =>
        {
            var now = Stopwatch.GetTimestamp();
            var seq = ulong.Parse(e.Payload, CultureInfo.InvariantCulture);
            for (var s = covered + 1; s <= seq && s - baseSeq <= (ulong)total; s++)
            {
                var sent = Volatile.Read(ref publishedAt[s - baseSeq - 1]);
                if (sent != 0)
                {
                    histogram.Record(Stopwatch.GetElapsedTime(sent, now));
                }
            }

            covered = Math.Max(covered, seq);
            if (covered - baseSeq >= (ulong)total)
            {
                allStored.TrySetResult();
            }
        };

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var listening = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await listener.WaitAsync(stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);

        var corpus = FeedCorpus.Create(Math.Min(total, 10_000));
        var started = Stopwatch.GetTimestamp();
        var sent = 0;
        while (sent < total)
        {
            var due = Math.Min(total, (int)(Stopwatch.GetElapsedTime(started).TotalSeconds * rate));
            while (sent < due)
            {
                var i = sent % corpus.Count;
                Volatile.Write(ref publishedAt[sent], Stopwatch.GetTimestamp());
                await nats.PublishAsync(corpus.Subjects[i], corpus.Payloads[i], cancellationToken: ct);
                sent++;
            }

            await Task.Delay(1, ct);
        }

        var actualRate = total / Stopwatch.GetElapsedTime(started).TotalSeconds;
        await allStored.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        await stop.CancelAsync();
        await listening;
        return new IngestLatencyResult(
            rate, actualRate, histogram.Count, histogram.PercentileMs(0.5), histogram.PercentileMs(0.99), histogram.MaxMs);
    }

    private static async Task<bool> TriggerExistsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'bench_notify_stored')", connection);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }
}
