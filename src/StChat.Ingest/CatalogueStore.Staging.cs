using System.Collections.Concurrent;
using System.Data;
using System.Runtime.InteropServices;
using Npgsql;
using NpgsqlTypes;
using StChat.Storage;

namespace StChat.Ingest;

internal sealed partial class CatalogueStore
{
    // Session-local staging tables, emptied by every commit (or rollback). Temporary tables write no WAL, and binary
    // COPY into them is the cheapest way to hand PostgreSQL a batch; one INSERT ... SELECT per table then moves the
    // batch into the catalogue. Created once per connection, which the store therefore keeps open between batches
    // (the pool would drop them with DISCARD ALL).
    private const string CreateStagingTables = """
        CREATE TEMPORARY TABLE ingest_sport_event (
            stream_seq bigint NOT NULL, sport text NOT NULL, match_title text NOT NULL, data_event text NOT NULL,
            published_at timestamptz NOT NULL
        ) ON COMMIT DELETE ROWS;
        CREATE TEMPORARY TABLE ingest_execution (
            stream_seq bigint NOT NULL, symbol text NOT NULL, market text NOT NULL, price real NOT NULL,
            quantity real NOT NULL, execution_epoch bigint NOT NULL, state_symbol text NOT NULL,
            published_at timestamptz NOT NULL
        ) ON COMMIT DELETE ROWS;
        """;

    private const string SportEventColumns = "stream_seq, sport, match_title, data_event, published_at";
    private const string ExecutionColumns = "stream_seq, symbol, market, price, quantity, execution_epoch, state_symbol, published_at";

    private const string CopySportEvents = $"COPY ingest_sport_event ({SportEventColumns}) FROM STDIN (FORMAT BINARY)";
    private const string CopyExecutions = $"COPY ingest_execution ({ExecutionColumns}) FROM STDIN (FORMAT BINARY)";

    // The same rows with the stream in front, straight into the catalogue; see AppendAndCommitAsync.
    private const string CopySportEventsIntoCatalogue = $"COPY sport_event (stream, {SportEventColumns}) FROM STDIN (FORMAT BINARY)";
    private const string CopyExecutionsIntoCatalogue = $"COPY execution (stream, {ExecutionColumns}) FROM STDIN (FORMAT BINARY)";

    // The plain move from staging into the catalogue. On its own it is used only when every row of the batch is
    // numbered above everything stored for the stream, so none can be stored already (see StoredUpTo), and only by
    // StoreMethod.CopyStaged; Copy writes such a batch straight into the catalogue instead.
    private const string AppendSportEvents = """
        INSERT INTO sport_event (stream, stream_seq, sport, match_title, data_event, published_at)
        SELECT $1, r.stream_seq, r.sport, r.match_title, r.data_event, r.published_at
        FROM ingest_sport_event r
        """;

    private const string AppendExecutions = """
        INSERT INTO execution (stream, stream_seq, symbol, market, price, quantity, execution_epoch, state_symbol, published_at)
        SELECT $1, r.stream_seq, r.symbol, r.market, r.price, r.quantity, r.execution_epoch, r.state_symbol, r.published_at
        FROM ingest_execution r
        """;

    private const string InsertStagedSportEvents = $"""
        {AppendSportEvents}
        WHERE {NotInExecution} AND {NotInRejects}
        ON CONFLICT (stream, stream_seq) DO NOTHING
        """;

    private const string InsertStagedExecutions = $"""
        {AppendExecutions}
        WHERE {NotInSportEvent} AND {NotInRejects}
        ON CONFLICT (stream, stream_seq) DO NOTHING
        """;

    // The highest sequence number stored for the stream in any of the three tables: three index look-ups. A batch
    // whose every number is higher (the common case: the stream's newest messages) cannot meet a stored message, so
    // it skips the per-row guards, which cost more than the insert itself. ORDER BY ... DESC LIMIT 1 rather than max():
    // when the statistics do not know the stream yet (a new stream in a large catalogue), the planner may answer max()
    // by reading every row of the stream, a cost that grows with each batch; this form stops at the first key.
    internal const string StoredUpTo = """
        SELECT coalesce(greatest(
            (SELECT stream_seq FROM sport_event WHERE stream = $1 ORDER BY stream_seq DESC LIMIT 1),
            (SELECT stream_seq FROM execution WHERE stream = $1 ORDER BY stream_seq DESC LIMIT 1),
            (SELECT stream_seq FROM feed_rejects WHERE stream = $1 ORDER BY stream_seq DESC LIMIT 1)), 0)
        """;

    // Open connections that hold the staging tables, each used by one write at a time.
    private readonly ConcurrentBag<NpgsqlConnection> _staging = [];

    // Whether a batch numbered above everything stored goes straight into the catalogue (Copy) or through staging too.
    private bool AppendsDirectly => _method == StoreMethod.Copy;

    private async Task<CatalogueStoreResult> WriteStagedAsync(string stream, FeedBatch batch, CancellationToken ct)
    {
        try
        {
            return await WriteStagedOnceAsync(stream, batch, mayAppend: true, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Another transaction stored one of these messages after the batch looked (two stores held the same
            // message, which the broker allows only after AckWait); the guarded statements skip it.
            return await WriteStagedOnceAsync(stream, batch, mayAppend: false, ct);
        }
    }

    private async Task<CatalogueStoreResult> WriteStagedOnceAsync(string stream, FeedBatch batch, bool mayAppend, CancellationToken ct)
    {
        // A connection goes back for the next batch only after a commit; after any failure it is closed, and the next
        // batch opens a fresh one, so a broken or half-finished session is never reused.
        var connection = await RentStagingConnectionAsync(ct);
        try
        {
            var result = await WriteStagedAsync(connection, stream, batch, mayAppend, ct);
            _staging.Add(connection);
            return result;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task<CatalogueStoreResult> WriteStagedAsync(
        NpgsqlConnection connection, string stream, FeedBatch batch, bool mayAppend, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var append = mayAppend && batch.MinStreamSeq > await StoredUpToAsync(connection, stream, ct);
        if (append && AppendsDirectly)
        {
            return await AppendAndCommitAsync(connection, transaction, stream, batch, ct);
        }

        if (batch.SportEvents.Count > 0)
        {
            await CopySportEventsAsync(connection, CopySportEvents, stream: null, batch.SportEvents, ct);
        }

        if (batch.Executions.Count > 0)
        {
            await CopyExecutionsAsync(connection, CopyExecutions, stream: null, batch.Executions, ct);
        }

        return await InsertAndCommitAsync(
            connection,
            transaction,
            stream,
            batch,
            () => StagedInsert(append ? AppendSportEvents : InsertStagedSportEvents, stream),
            () => StagedInsert(append ? AppendExecutions : InsertStagedExecutions, stream),
            ct);
    }

    // A batch numbered wholly above everything stored cannot meet a stored message, so COPY writes it straight into
    // the catalogue: PostgreSQL handles each row once instead of twice. Should another transaction store one of its
    // messages after the look-up, the key refuses the COPY, and WriteStagedAsync sends the batch the guarded way.
    private static async Task<CatalogueStoreResult> AppendAndCommitAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string stream, FeedBatch batch, CancellationToken ct)
    {
        var sportEvents = batch.SportEvents.Count == 0
            ? 0
            : await CopySportEventsAsync(connection, CopySportEventsIntoCatalogue, stream, batch.SportEvents, ct);
        var executions = batch.Executions.Count == 0
            ? 0
            : await CopyExecutionsAsync(connection, CopyExecutionsIntoCatalogue, stream, batch.Executions, ct);
        var rejects = 0;
        if (batch.Rejects.Count > 0)
        {
            await using var insert = new NpgsqlBatch(connection, transaction);
            var command = Add(insert, RejectsCommand(stream, CollectionsMarshal.AsSpan(batch.Rejects)));
            await insert.ExecuteNonQueryAsync(ct);
            rejects = Inserted(command);
        }

        await transaction.CommitAsync(ct);
        return new CatalogueStoreResult(sportEvents, executions, rejects);
    }

    private static async Task<long> StoredUpToAsync(NpgsqlConnection connection, string stream, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(StoredUpTo, connection)
        {
            Parameters = { new NpgsqlParameter<string> { TypedValue = stream } },
        };
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<NpgsqlConnection> RentStagingConnectionAsync(CancellationToken ct)
    {
        while (_staging.TryTake(out var held))
        {
            if (held.State == ConnectionState.Open)
            {
                return held;
            }

            await held.DisposeAsync();
        }

        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var create = new NpgsqlCommand(CreateStagingTables, connection);
            await create.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    // Into staging (no stream column) or into the catalogue (stream first); returns the rows written.
    private static async Task<int> CopySportEventsAsync(
        NpgsqlConnection connection, string sql, string? stream, List<SportEventRow> rows, CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync(sql, ct);
        foreach (var row in rows)
        {
            await copy.StartRowAsync(ct);
            if (stream is not null)
            {
                await copy.WriteAsync(stream, NpgsqlDbType.Text, ct);
            }

            await copy.WriteAsync(checked((long)row.StreamSeq), NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(row.Sport, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(row.MatchTitle, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(row.DataEvent, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(PostgresTimestamp.ToMicroseconds(row.PublishedAt), NpgsqlDbType.TimestampTz, ct);
        }

        return checked((int)await copy.CompleteAsync(ct));
    }

    private static async Task<int> CopyExecutionsAsync(
        NpgsqlConnection connection, string sql, string? stream, List<ExecutionRow> rows, CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync(sql, ct);
        foreach (var row in rows)
        {
            await copy.StartRowAsync(ct);
            if (stream is not null)
            {
                await copy.WriteAsync(stream, NpgsqlDbType.Text, ct);
            }

            await copy.WriteAsync(checked((long)row.StreamSeq), NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(row.Symbol, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(row.Market, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(row.Price, NpgsqlDbType.Real, ct);
            await copy.WriteAsync(row.Quantity, NpgsqlDbType.Real, ct);
            await copy.WriteAsync(row.ExecutionEpoch, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(row.StateSymbol, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(PostgresTimestamp.ToMicroseconds(row.PublishedAt), NpgsqlDbType.TimestampTz, ct);
        }

        return checked((int)await copy.CompleteAsync(ct));
    }

    private static NpgsqlBatchCommand StagedInsert(string sql, string stream) =>
        new(sql) { Parameters = { new NpgsqlParameter<string> { TypedValue = stream } } };

    public async ValueTask DisposeAsync()
    {
        while (_staging.TryTake(out var held))
        {
            await held.DisposeAsync();
        }
    }
}
