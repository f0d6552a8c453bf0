using System.Diagnostics;
using Google.Protobuf.Reflection;
using NATS.Client.Core;
using Npgsql;
using NpgsqlTypes;
using StChat.Contracts;

namespace StChat.Bench;

internal sealed partial class IngestScenario
{
    private static readonly Dictionary<int, string> SportLabels =
        EventReflection.Descriptor.FindTypeByName<EnumDescriptor>("sport").Values.ToDictionary(v => v.Number, v => v.Name);

    private const string InsertSportEvent = """
        INSERT INTO sport_event (stream, stream_seq, sport, match_title, data_event, published_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        """;

    private const string InsertExecution = """
        INSERT INTO execution (stream, stream_seq, symbol, market, price, quantity, execution_epoch, state_symbol, published_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """;

    // The physical limit: the corpus decoded in memory, then binary COPY into the same tables (same keys and indexes)
    // in one transaction. No broker, no acks, no conflict handling.
    private async Task<(double CopySeconds, double DecodeRate)> RunCopyLimitAsync(FeedCorpus corpus, CancellationToken ct)
    {
        var connectionString = await MigratedDatabaseAsync("bench_copy", ct);
        var decodeStarted = Stopwatch.GetTimestamp();
        var events = new List<(long Seq, @event Row)>(corpus.Count / 2 + 1);
        var executions = new List<(long Seq, execution Row)>(corpus.Count / 2 + 1);
        for (var i = 0; i < corpus.Count; i++)
        {
            if (corpus.Subjects[i] == FeedSubjects.SportEvent)
            {
                events.Add((i + 1, @event.Parser.ParseFrom(corpus.Payloads[i])));
            }
            else
            {
                executions.Add((i + 1, execution.Parser.ParseFrom(corpus.Payloads[i])));
            }
        }

        var decodeRate = corpus.Count / Stopwatch.GetElapsedTime(decodeStarted).TotalSeconds;
        var published = DateTime.UtcNow;

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var started = Stopwatch.GetTimestamp();
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            await using (var importer = await connection.BeginBinaryImportAsync(
                "COPY sport_event (stream, stream_seq, sport, match_title, data_event, published_at) FROM STDIN (FORMAT BINARY)", ct))
            {
                foreach (var (seq, row) in events)
                {
                    await importer.StartRowAsync(ct);
                    await importer.WriteAsync(Stream, NpgsqlDbType.Text, ct);
                    await importer.WriteAsync(seq, NpgsqlDbType.Bigint, ct);
                    await importer.WriteAsync(SportLabels[(int)row.Sport], NpgsqlDbType.Text, ct);
                    await importer.WriteAsync(row.MatchTitle, NpgsqlDbType.Text, ct);
                    await importer.WriteAsync(row.DataEvent, NpgsqlDbType.Text, ct);
                    await importer.WriteAsync(published, NpgsqlDbType.TimestampTz, ct);
                }

                await importer.CompleteAsync(ct);
            }

            await using (var importer = await connection.BeginBinaryImportAsync(
                "COPY execution (stream, stream_seq, symbol, market, price, quantity, execution_epoch, state_symbol, published_at) FROM STDIN (FORMAT BINARY)", ct))
            {
                foreach (var (seq, row) in executions)
                {
                    await importer.StartRowAsync(ct);
                    await importer.WriteAsync(Stream, NpgsqlDbType.Text, ct);
                    await importer.WriteAsync(seq, NpgsqlDbType.Bigint, ct);
                    await importer.WriteAsync(row.Symbol, NpgsqlDbType.Text, ct);
                    await importer.WriteAsync(row.Market, NpgsqlDbType.Text, ct);
                    await importer.WriteAsync(row.Price, NpgsqlDbType.Real, ct);
                    await importer.WriteAsync(row.Quantity, NpgsqlDbType.Real, ct);
                    await importer.WriteAsync(row.ExecutionEpoch, NpgsqlDbType.Bigint, ct);
                    await importer.WriteAsync(row.StateSymbol, NpgsqlDbType.Text, ct);
                    await importer.WriteAsync(published, NpgsqlDbType.TimestampTz, ct);
                }

                await importer.CompleteAsync(ct);
            }

            await transaction.CommitAsync(ct);
        }

        return (Stopwatch.GetElapsedTime(started).TotalSeconds, decodeRate);
    }

    // The original design: a core subscription and, per message, decode + one INSERT in its own transaction (autocommit).
    // It runs for a fixed time on subjects the stream does not capture; the rate is rows stored / time.
    private async Task<(double Seconds, long Stored)> RunOriginalDesignAsync(FeedCorpus corpus, CancellationToken ct)
    {
        var connectionString = await MigratedDatabaseAsync("bench_original", ct);
        var limit = Math.Min(corpus.Count, 200_000);
        await using var subscriber = new NatsConnection(new NatsOpts
        {
            Url = env.Nats.Url,
            Name = "bench-original-sub",
            SubPendingChannelCapacity = limit + 1,
        });
        await using var publisher = new NatsConnection(new NatsOpts { Url = env.Nats.Url, Name = "bench-original-pub" });
        await using var subscription = await subscriber.SubscribeCoreAsync<byte[]>("original.>", cancellationToken: ct);
        await subscriber.PingAsync(ct);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var insertEvent = new NpgsqlCommand(InsertSportEvent, connection);
        await using var insertExecution = new NpgsqlCommand(InsertExecution, connection);

        var publishing = Task.Run(async () =>
        {
            for (var i = 0; i < limit; i++)
            {
                await publisher.PublishAsync("original." + corpus.Subjects[i], corpus.Payloads[i], cancellationToken: ct);
            }

            await publisher.PingAsync(ct);
        }, ct);

        using var window = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long stored = 0;
        var seq = 0L;
        var started = 0L;
        try
        {
            await foreach (var msg in subscription.Msgs.ReadAllAsync(window.Token))
            {
                if (started == 0)
                {
                    started = Stopwatch.GetTimestamp();
                    window.CancelAfter(env.Settings.OriginalDesignDuration);
                }

                seq++;
                var published = DateTime.UtcNow;
                if (msg.Subject.EndsWith(FeedSubjects.SportEvent, StringComparison.Ordinal))
                {
                    var row = @event.Parser.ParseFrom(msg.Data);
                    insertEvent.Parameters.Clear();
                    insertEvent.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Stream });
                    insertEvent.Parameters.Add(new NpgsqlParameter<long> { TypedValue = seq });
                    insertEvent.Parameters.Add(new NpgsqlParameter<string> { TypedValue = SportLabels[(int)row.Sport] });
                    insertEvent.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.MatchTitle });
                    insertEvent.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.DataEvent });
                    insertEvent.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = published });
                    await insertEvent.ExecuteNonQueryAsync(window.Token);
                }
                else
                {
                    var row = execution.Parser.ParseFrom(msg.Data);
                    insertExecution.Parameters.Clear();
                    insertExecution.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Stream });
                    insertExecution.Parameters.Add(new NpgsqlParameter<long> { TypedValue = seq });
                    insertExecution.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Symbol });
                    insertExecution.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Market });
                    insertExecution.Parameters.Add(new NpgsqlParameter<float> { TypedValue = row.Price });
                    insertExecution.Parameters.Add(new NpgsqlParameter<float> { TypedValue = row.Quantity });
                    insertExecution.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.ExecutionEpoch });
                    insertExecution.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.StateSymbol });
                    insertExecution.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = published });
                    await insertExecution.ExecuteNonQueryAsync(window.Token);
                }

                stored++;
                if (stored == limit)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (window.IsCancellationRequested && !ct.IsCancellationRequested)
        {
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await publishing;
        return (seconds, stored);
    }
}
