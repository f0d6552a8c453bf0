using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using StChat.Storage;

namespace StChat.Ingest;

/// <summary>
/// Stores one batch in one transaction. A batch numbered wholly above everything stored for the stream, as the
/// stream's newest messages are, cannot meet a stored message: with <see cref="StoreMethod.Copy"/> (the default) binary
/// COPY writes it straight into the catalogue. Any other batch goes by binary COPY into session-local staging tables,
/// and one guarded <c>INSERT ... SELECT</c> per table moves it into the catalogue; with
/// <see cref="StoreMethod.Unnest"/> the rows go as array parameters of one guarded <c>INSERT ... SELECT FROM
/// unnest(...)</c> per table, all in one round trip. The guards skip a message whose (stream, stream_seq) is already
/// stored, in its own table or (decoded differently on an earlier delivery) in another, which is what makes a
/// redelivered or re-fetched message harmless. Only when some were skipped does the store look at what was stored
/// under those numbers, to tell a redelivery from a stream that was created again.
/// </summary>
internal sealed partial class CatalogueStore(
    NpgsqlDataSource dataSource, IOptions<IngestOptions> options, ILogger<CatalogueStore> logger) : IAsyncDisposable
{
    // A genuine redelivery carries the broker's original timestamp, so a stored row with the same sequence number and
    // another published_at is another message: the stream was deleted and created again and counts from 1 anew.
    // Three primary-key probes per message; run only for a batch of which some rows were already stored.
    private const string FindOtherMessage = """
        SELECT r.seq, c.stored_in, c.published_at, r.published_at
        FROM unnest($2::bigint[], $3::timestamptz[]) AS r(seq, published_at)
        CROSS JOIN LATERAL (
            SELECT 'sport_event' AS stored_in, s.published_at FROM sport_event s WHERE s.stream = $1 AND s.stream_seq = r.seq
            UNION ALL
            SELECT 'execution', e.published_at FROM execution e WHERE e.stream = $1 AND e.stream_seq = r.seq
            UNION ALL
            SELECT 'feed_rejects', f.published_at FROM feed_rejects f WHERE f.stream = $1 AND f.stream_seq = r.seq
        ) AS c
        WHERE c.published_at <> r.published_at
        LIMIT 1
        """;

    // Each message lives in exactly one table. The NOT EXISTS clauses keep it so when a newer or older decoder judges
    // a redelivered message differently (or a recreated stream reuses a number); ON CONFLICT covers the same table.
    // Either way the row counts as skipped, which sends the batch to the FindOtherMessage check. (Two transactions
    // storing the same message at the same moment into different tables would not see each other; that needs two
    // workers holding one message at once, which the broker only allows after AckWait passed without +WPI.)
    // OFFSET 0 keeps each clause a primary-key probe per row: as an anti-join the planner may choose a merge or hash
    // join that reads the stream's whole index, when statistics lag behind a table that grows by a million rows a minute.
    private const string NotInSportEvent = "NOT EXISTS (SELECT FROM sport_event s WHERE s.stream = $1 AND s.stream_seq = r.stream_seq OFFSET 0)";
    private const string NotInExecution = "NOT EXISTS (SELECT FROM execution e WHERE e.stream = $1 AND e.stream_seq = r.stream_seq OFFSET 0)";
    private const string NotInRejects = "NOT EXISTS (SELECT FROM feed_rejects f WHERE f.stream = $1 AND f.stream_seq = r.stream_seq OFFSET 0)";

    private const string InsertSportEvents = $"""
        INSERT INTO sport_event (stream, stream_seq, sport, match_title, data_event, published_at)
        SELECT $1, r.*
        FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
             AS r(stream_seq, sport, match_title, data_event, published_at)
        WHERE {NotInExecution} AND {NotInRejects}
        ON CONFLICT (stream, stream_seq) DO NOTHING
        """;

    private const string InsertExecutions = $"""
        INSERT INTO execution (stream, stream_seq, symbol, market, price, quantity, execution_epoch, state_symbol, published_at)
        SELECT $1, r.*
        FROM unnest($2::bigint[], $3::text[], $4::text[], $5::real[], $6::real[], $7::bigint[], $8::text[], $9::timestamptz[])
             AS r(stream_seq, symbol, market, price, quantity, execution_epoch, state_symbol, published_at)
        WHERE {NotInSportEvent} AND {NotInRejects}
        ON CONFLICT (stream, stream_seq) DO NOTHING
        """;

    private const string InsertRejects = $"""
        INSERT INTO feed_rejects (stream, stream_seq, subject, payload, error, published_at)
        SELECT $1, r.*
        FROM unnest($2::bigint[], $3::text[], $4::bytea[], $5::text[], $6::timestamptz[])
             AS r(stream_seq, subject, payload, error, published_at)
        WHERE {NotInSportEvent} AND {NotInExecution}
        ON CONFLICT (stream, stream_seq) DO NOTHING
        """;

    private readonly StoreMethod _method = options.Value.StoreMethod;

    /// <summary>
    /// Writes and commits the batch; returns how many rows were new per table. When PostgreSQL refuses a row's values
    /// (SQLSTATE class 22 or 23) the batch is written again one message at a time, and each refused message is moved
    /// from its data list to <see cref="FeedBatch.Rejects"/> and stored in <c>feed_rejects</c> with the reason.
    /// </summary>
    /// <exception cref="StreamRecreatedException">
    /// A sequence number of the batch is already stored for another message; nothing was stored.
    /// </exception>
    public async Task<CatalogueStoreResult> WriteAsync(string stream, FeedBatch batch, CancellationToken ct)
    {
        if (batch.Count == 0)
        {
            return default;
        }

        try
        {
            return _method != StoreMethod.Unnest
                ? await WriteStagedAsync(stream, batch, ct)
                : await WriteTogetherAsync(dataSource, stream, batch, ct);
        }
        catch (PostgresException e) when (PostgresErrors.IsDataError(e))
        {
            Log.RowRefusedInBatch(logger, batch.Count, e.SqlState, e.MessageText);
            return await WriteOneByOneAsync(stream, batch, ct);
        }
    }

    private static async Task<CatalogueStoreResult> WriteTogetherAsync(
        NpgsqlDataSource dataSource, string stream, FeedBatch batch, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        return await InsertAndCommitAsync(
            connection,
            transaction,
            stream,
            batch,
            () => SportEventsCommand(stream, CollectionsMarshal.AsSpan(batch.SportEvents)),
            () => ExecutionsCommand(stream, CollectionsMarshal.AsSpan(batch.Executions)),
            ct);
    }

    // The batch's INSERTs in one round trip (a table with no rows in the batch gets none), the check for skipped rows,
    // and the commit.
    private static async Task<CatalogueStoreResult> InsertAndCommitAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string stream,
        FeedBatch batch,
        Func<NpgsqlBatchCommand> insertSportEvents,
        Func<NpgsqlBatchCommand> insertExecutions,
        CancellationToken ct)
    {
        await using var command = new NpgsqlBatch(connection, transaction);
        var sportEvents = batch.SportEvents.Count == 0 ? null : Add(command, insertSportEvents());
        var executions = batch.Executions.Count == 0 ? null : Add(command, insertExecutions());
        var rejects = batch.Rejects.Count == 0
            ? null
            : Add(command, RejectsCommand(stream, CollectionsMarshal.AsSpan(batch.Rejects)));
        await command.ExecuteNonQueryAsync(ct);

        var written = new CatalogueStoreResult(Inserted(sportEvents), Inserted(executions), Inserted(rejects));
        await CheckSkippedAsync(connection, transaction, stream, batch, written, ct);
        await transaction.CommitAsync(ct);
        return written;
    }

    // A batch of which every row was new needs no look at what is stored. One with skipped rows is a redelivery, or a
    // stream that was created again and reuses the numbers: FindOtherMessage tells them apart before the commit.
    private static async Task CheckSkippedAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string stream,
        FeedBatch batch,
        CatalogueStoreResult written,
        CancellationToken ct)
    {
        if (written.Total == batch.Count)
        {
            return;
        }

        await using var check = new NpgsqlBatch(connection, transaction);
        check.BatchCommands.Add(OtherMessageCheck(stream, batch));
        await ExecuteCheckedAsync(check, stream, transaction, ct);
    }

    // Runs a batch whose first command is the other-message check; when it finds one, rolls back whatever the
    // transaction inserted and throws, so the caller neither commits nor acknowledges.
    private static async Task ExecuteCheckedAsync(
        NpgsqlBatch command, string stream, NpgsqlTransaction transaction, CancellationToken ct)
    {
        StreamRecreatedException? recreated = null;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                recreated = Recreated(
                    stream,
                    reader.GetInt64(0),
                    reader.GetString(1),
                    reader.GetFieldValue<DateTime>(2),
                    reader.GetFieldValue<DateTime>(3));
            }

            // The inserts' results (and any error they raise) come after the check's rows.
            while (await reader.NextResultAsync(ct))
            {
            }
        }

        if (recreated is not null)
        {
            await transaction.RollbackAsync(ct);
            throw recreated;
        }
    }

    private static StreamRecreatedException Recreated(
        string stream, long seq, string storedIn, DateTime storedPublishedAt, DateTime publishedAt) => new(
        $"Message {seq} of JetStream stream '{stream}' was published at {publishedAt:O}, but {storedIn} already holds " +
        $"message {seq} of '{stream}' published at {storedPublishedAt:O}. A redelivered message keeps its original " +
        "timestamp, so this is a different message: the stream (and its durable consumer) was deleted and created again " +
        "while the worker ran (nats stream rm/add, a lost JetStream store, or another process creating them), and it " +
        "numbers its messages from 1 again. Nothing of this batch was stored or acknowledged; the worker stops instead " +
        "of discarding new messages as already stored. " + StreamIncarnation.Remedy(stream));

    private static NpgsqlBatchCommand Add(NpgsqlBatch batch, NpgsqlBatchCommand command)
    {
        batch.BatchCommands.Add(command);
        return command;
    }

    private static int Inserted(NpgsqlBatchCommand? command) => command is null ? 0 : checked((int)command.RecordsAffected);

    // Every (seq, published_at) of the batch, whatever table its row is headed for.
    private static NpgsqlBatchCommand OtherMessageCheck(string stream, FeedBatch batch)
    {
        var seqs = new long[batch.Count];
        var published = new DateTime[batch.Count];
        var i = 0;
        foreach (var row in batch.SportEvents)
        {
            (seqs[i], published[i++]) = (checked((long)row.StreamSeq), PostgresTimestamp.ToMicroseconds(row.PublishedAt));
        }

        foreach (var row in batch.Executions)
        {
            (seqs[i], published[i++]) = (checked((long)row.StreamSeq), PostgresTimestamp.ToMicroseconds(row.PublishedAt));
        }

        foreach (var row in batch.Rejects)
        {
            (seqs[i], published[i++]) = (checked((long)row.StreamSeq), PostgresTimestamp.ToMicroseconds(row.PublishedAt));
        }

        var command = new NpgsqlBatchCommand(FindOtherMessage);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = seqs });
        command.Parameters.Add(TimestampArray(published));
        return command;
    }

    private static NpgsqlBatchCommand SportEventsCommand(string stream, ReadOnlySpan<SportEventRow> rows)
    {
        var seqs = new long[rows.Length];
        var sports = new string[rows.Length];
        var titles = new string[rows.Length];
        var data = new string[rows.Length];
        var published = new DateTime[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            seqs[i] = checked((long)row.StreamSeq);
            sports[i] = row.Sport;
            titles[i] = row.MatchTitle;
            data[i] = row.DataEvent;
            published[i] = PostgresTimestamp.ToMicroseconds(row.PublishedAt);
        }

        var command = new NpgsqlBatchCommand(InsertSportEvents);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = seqs });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = sports });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = titles });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = data });
        command.Parameters.Add(TimestampArray(published));
        return command;
    }

    private static NpgsqlBatchCommand ExecutionsCommand(string stream, ReadOnlySpan<ExecutionRow> rows)
    {
        var seqs = new long[rows.Length];
        var symbols = new string[rows.Length];
        var markets = new string[rows.Length];
        var prices = new float[rows.Length];
        var quantities = new float[rows.Length];
        var epochs = new long[rows.Length];
        var states = new string[rows.Length];
        var published = new DateTime[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            seqs[i] = checked((long)row.StreamSeq);
            symbols[i] = row.Symbol;
            markets[i] = row.Market;
            prices[i] = row.Price;
            quantities[i] = row.Quantity;
            epochs[i] = row.ExecutionEpoch;
            states[i] = row.StateSymbol;
            published[i] = PostgresTimestamp.ToMicroseconds(row.PublishedAt);
        }

        var command = new NpgsqlBatchCommand(InsertExecutions);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = seqs });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = symbols });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = markets });
        command.Parameters.Add(new NpgsqlParameter<float[]> { TypedValue = prices });
        command.Parameters.Add(new NpgsqlParameter<float[]> { TypedValue = quantities });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = epochs });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = states });
        command.Parameters.Add(TimestampArray(published));
        return command;
    }

    private static NpgsqlBatchCommand RejectsCommand(string stream, ReadOnlySpan<FeedRejectRow> rows)
    {
        var seqs = new long[rows.Length];
        var subjects = new string[rows.Length];
        var payloads = new byte[rows.Length][];
        var errors = new string[rows.Length];
        var published = new DateTime[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            seqs[i] = checked((long)row.StreamSeq);
            subjects[i] = row.Subject;
            payloads[i] = row.Payload.ToArray();
            errors[i] = row.Error;
            published[i] = PostgresTimestamp.ToMicroseconds(row.PublishedAt);
        }

        var command = new NpgsqlBatchCommand(InsertRejects);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = seqs });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = subjects });
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = payloads });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = errors });
        command.Parameters.Add(TimestampArray(published));
        return command;
    }

    private static NpgsqlParameter<DateTime[]> TimestampArray(DateTime[] utc) =>
        new() { TypedValue = utc, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };
}
