using System.Diagnostics;
using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace StChat.Bench;

internal sealed partial class IngestScenario
{
    // Fires at commit: NOTIFY is delivered only when the transaction that raised it commits, so the listener learns
    // the moment a row became visible, not the moment it was inserted. The payload names the table, the statement's
    // lowest and highest stream sequence, when its transaction began and when the statement ended (µs since the
    // epoch), which splits each message's latency into its parts. Stores commit out of order, so each notice counts
    // only for its own rows.
    private const string NotifyTriggerSql = """
        CREATE OR REPLACE FUNCTION bench_notify_stored() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('bench_stored', concat_ws(' ', TG_TABLE_NAME,
                (SELECT min(stream_seq) FROM new_rows), (SELECT max(stream_seq) FROM new_rows),
                (extract(epoch FROM transaction_timestamp()) * 1e6)::bigint,
                (extract(epoch FROM clock_timestamp()) * 1e6)::bigint));
            RETURN NULL;
        END $$;
        CREATE TRIGGER bench_sport_event_stored AFTER INSERT ON sport_event
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_notify_stored();
        CREATE TRIGGER bench_execution_stored AFTER INSERT ON execution
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_notify_stored();
        """;

    // Publishes at a steady rate into the stream the running worker consumes; feed->row latency is commit
    // notification time minus publish time, per stream sequence, split into the wait before the worker's transaction
    // began (broker, fetch, decode, a free store), the statement that wrote the row, and the rest up to the commit
    // notice (the batch's other statements, the commit with its fsync, the notice's delivery).
    private async Task<IngestLatencyResult> RunLatencyAsync(string connectionString, int rate, CancellationToken ct)
    {
        var total = (int)(rate * env.Settings.LatencyDuration.TotalSeconds);
        var corpus = FeedCorpus.Create(Math.Min(total, 10_000));
        var histogram = new LatencyHistogram();
        var (waited, written, committed) = (new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram());

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
        var baseSeq = (long)(await js.GetStreamAsync(Stream, cancellationToken: ct)).Info.State.LastSeq;
        var publishedAt = new long[total];
        var publishedWallUs = new long[total];
        var recorded = new bool[total];
        var remaining = total;
        var allStored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) =>
        {
            var now = Stopwatch.GetTimestamp();
            var nowUs = UnixMicroseconds(DateTime.UtcNow);
            var fields = e.Payload.Split(' ');
            if (fields.Length != 5)
            {
                return;
            }

            var (table, min, max) = (fields[0], long.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[2], CultureInfo.InvariantCulture));
            var (beganUs, statementEndedUs) = (long.Parse(fields[3], CultureInfo.InvariantCulture), long.Parse(fields[4], CultureInfo.InvariantCulture));
            for (var seq = Math.Max(min, baseSeq + 1); seq <= Math.Min(max, baseSeq + total); seq++)
            {
                // Message k of the run went to the stream as number baseSeq + 1 + k, on the subject named as its table.
                var k = (int)(seq - baseSeq - 1);
                var sent = Volatile.Read(ref publishedAt[k]);
                if (sent == 0 || recorded[k] || corpus.Subjects[k % corpus.Count] != table)
                {
                    continue;
                }

                recorded[k] = true;
                histogram.Record(Stopwatch.GetElapsedTime(sent, now));
                var sentUs = Volatile.Read(ref publishedWallUs[k]);
                waited.Record(TimeSpan.FromMicroseconds(beganUs - sentUs));
                written.Record(TimeSpan.FromMicroseconds(statementEndedUs - beganUs));
                committed.Record(TimeSpan.FromMicroseconds(nowUs - statementEndedUs));
                if (--remaining == 0)
                {
                    allStored.TrySetResult();
                }
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

        var started = Stopwatch.GetTimestamp();
        var sent = 0;
        while (sent < total)
        {
            var due = Math.Min(total, (int)(Stopwatch.GetElapsedTime(started).TotalSeconds * rate));
            while (sent < due)
            {
                var i = sent % corpus.Count;
                Volatile.Write(ref publishedWallUs[sent], UnixMicroseconds(DateTime.UtcNow));
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
            rate, actualRate, histogram.Count, histogram.PercentileMs(0.5), histogram.PercentileMs(0.99), histogram.MaxMs)
        {
            Parts =
            [
                new("wait: publish to the worker's BEGIN", waited.PercentileMs(0.5), waited.PercentileMs(0.99)),
                new("write: BEGIN to the end of the row's statement", written.PercentileMs(0.5), written.PercentileMs(0.99)),
                new("commit: the rest of the batch, COMMIT, the notice", committed.PercentileMs(0.5), committed.PercentileMs(0.99)),
            ],
        };
    }

    private static long UnixMicroseconds(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    private static async Task<bool> TriggerExistsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'bench_notify_stored')", connection);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }
}
