using Npgsql;
using NpgsqlTypes;

namespace StChat.Ingest;

/// <summary>
/// Stores one batch in one transaction and one round trip: a multi-row <c>INSERT ... SELECT FROM unnest(...)</c> per
/// table, sent together as an <see cref="NpgsqlBatch"/>. A row whose (stream, stream_seq) is already stored is
/// skipped by <c>ON CONFLICT DO NOTHING</c>, which is what makes a redelivered or re-fetched message harmless.
/// </summary>
internal sealed class CatalogueWriter(NpgsqlDataSource dataSource)
{
    private const string InsertSportEvents = """
        INSERT INTO sport_event (stream, stream_seq, sport, match_title, data_event, published_at)
        SELECT $1, r.* FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS r
        ON CONFLICT (stream, stream_seq) DO NOTHING
        """;

    private const string InsertExecutions = """
        INSERT INTO execution (stream, stream_seq, symbol, market, price, quantity, execution_epoch, state_symbol, published_at)
        SELECT $1, r.* FROM unnest($2::bigint[], $3::text[], $4::text[], $5::real[], $6::real[], $7::bigint[], $8::text[],
                                   $9::timestamptz[]) AS r
        ON CONFLICT (stream, stream_seq) DO NOTHING
        """;

    private const string InsertRejects = """
        INSERT INTO feed_rejects (stream, stream_seq, subject, payload, error, published_at)
        SELECT $1, r.* FROM unnest($2::bigint[], $3::text[], $4::bytea[], $5::text[], $6::timestamptz[]) AS r
        ON CONFLICT (stream, stream_seq) DO NOTHING
        """;

    /// <summary>Writes and commits the batch; returns how many rows were new per table.</summary>
    public async Task<CatalogueWriteResult> WriteAsync(string stream, FeedBatch batch, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var command = new NpgsqlBatch(connection, transaction);

        var sportEvents = AddSportEvents(command, stream, batch.SportEvents);
        var executions = AddExecutions(command, stream, batch.Executions);
        var rejects = AddRejects(command, stream, batch.Rejects);
        if (command.BatchCommands.Count > 0)
        {
            await command.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return new CatalogueWriteResult(
            Inserted(sportEvents), Inserted(executions), Inserted(rejects));
    }

    private static int Inserted(NpgsqlBatchCommand? command) => command is null ? 0 : checked((int)command.RecordsAffected);

    private static NpgsqlBatchCommand? AddSportEvents(NpgsqlBatch batch, string stream, List<SportEventRow> rows)
    {
        if (rows.Count == 0)
        {
            return null;
        }

        var seqs = new long[rows.Count];
        var sports = new string[rows.Count];
        var titles = new string[rows.Count];
        var data = new string[rows.Count];
        var published = new DateTime[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            seqs[i] = checked((long)row.StreamSeq);
            sports[i] = row.Sport;
            titles[i] = row.MatchTitle;
            data[i] = row.DataEvent;
            published[i] = row.PublishedAt.UtcDateTime;
        }

        var command = new NpgsqlBatchCommand(InsertSportEvents);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = seqs });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = sports });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = titles });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = data });
        command.Parameters.Add(TimestampArray(published));
        batch.BatchCommands.Add(command);
        return command;
    }

    private static NpgsqlBatchCommand? AddExecutions(NpgsqlBatch batch, string stream, List<ExecutionRow> rows)
    {
        if (rows.Count == 0)
        {
            return null;
        }

        var seqs = new long[rows.Count];
        var symbols = new string[rows.Count];
        var markets = new string[rows.Count];
        var prices = new float[rows.Count];
        var quantities = new float[rows.Count];
        var epochs = new long[rows.Count];
        var states = new string[rows.Count];
        var published = new DateTime[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            seqs[i] = checked((long)row.StreamSeq);
            symbols[i] = row.Symbol;
            markets[i] = row.Market;
            prices[i] = row.Price;
            quantities[i] = row.Quantity;
            epochs[i] = row.ExecutionEpoch;
            states[i] = row.StateSymbol;
            published[i] = row.PublishedAt.UtcDateTime;
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
        batch.BatchCommands.Add(command);
        return command;
    }

    private static NpgsqlBatchCommand? AddRejects(NpgsqlBatch batch, string stream, List<FeedRejectRow> rows)
    {
        if (rows.Count == 0)
        {
            return null;
        }

        var seqs = new long[rows.Count];
        var subjects = new string[rows.Count];
        var payloads = new byte[rows.Count][];
        var errors = new string[rows.Count];
        var published = new DateTime[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            seqs[i] = checked((long)row.StreamSeq);
            subjects[i] = row.Subject;
            payloads[i] = row.Payload.ToArray();
            errors[i] = row.Error;
            published[i] = row.PublishedAt.UtcDateTime;
        }

        var command = new NpgsqlBatchCommand(InsertRejects);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = seqs });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = subjects });
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = payloads });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = errors });
        command.Parameters.Add(TimestampArray(published));
        batch.BatchCommands.Add(command);
        return command;
    }

    private static NpgsqlParameter<DateTime[]> TimestampArray(DateTime[] utc) =>
        new() { TypedValue = utc, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };
}
