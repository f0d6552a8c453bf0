using System.Runtime.InteropServices;
using Npgsql;
using StChat.Contracts;

namespace StChat.Ingest;

internal sealed partial class CatalogueStore
{
    private const string RowSavepoint = "catalogue_row";

    // Fallback after a data error, never the normal path: each data row under its own savepoint, so the rows
    // PostgreSQL refuses are found and stored in feed_rejects with the database's reason while the rest of the batch
    // still commits in one transaction. A refused message stays refused on every delivery, so moving it out of the
    // batch is what lets the stream behind it move on.
    private async Task<CatalogueStoreResult> WriteOneByOneAsync(string stream, FeedBatch batch, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var check = new NpgsqlBatch(connection, transaction))
        {
            check.BatchCommands.Add(OtherMessageCheck(stream, batch));
            await ExecuteCheckedAsync(check, stream, transaction, ct);
        }

        var refused = new List<FeedRejectRow>();
        var sportEvents = 0;
        foreach (var row in batch.SportEvents)
        {
            var (inserted, refusal) = await InsertOneAsync(connection, transaction, SportEventsCommand(stream, [row]), ct);
            sportEvents += inserted;
            if (refusal is not null)
            {
                refused.Add(Refused(stream, row.StreamSeq, FeedSubjects.SportEvent, row.Payload, row.PublishedAt, refusal));
            }
        }

        var executions = 0;
        foreach (var row in batch.Executions)
        {
            var (inserted, refusal) = await InsertOneAsync(connection, transaction, ExecutionsCommand(stream, [row]), ct);
            executions += inserted;
            if (refusal is not null)
            {
                refused.Add(Refused(stream, row.StreamSeq, FeedSubjects.Execution, row.Payload, row.PublishedAt, refusal));
            }
        }

        var rejectRows = new List<FeedRejectRow>(batch.Rejects.Count + refused.Count);
        rejectRows.AddRange(batch.Rejects);
        rejectRows.AddRange(refused);
        var rejects = 0;
        if (rejectRows.Count > 0)
        {
            await using var command = new NpgsqlBatch(connection, transaction);
            var insert = Add(command, RejectsCommand(stream, CollectionsMarshal.AsSpan(rejectRows)));
            await command.ExecuteNonQueryAsync(ct);
            rejects = Inserted(insert);
        }

        await transaction.CommitAsync(ct);

        // Only now: a failed commit leaves the batch as it was, and the retry finds the refused rows again.
        if (refused.Count > 0)
        {
            var seqs = refused.Select(r => r.StreamSeq).ToHashSet();
            batch.SportEvents.RemoveAll(r => seqs.Contains(r.StreamSeq));
            batch.Executions.RemoveAll(r => seqs.Contains(r.StreamSeq));
            batch.Rejects.AddRange(refused);
        }

        return new CatalogueStoreResult(sportEvents, executions, rejects);
    }

    // SAVEPOINT; INSERT one row; RELEASE — or, when PostgreSQL refuses the row's values, ROLLBACK TO SAVEPOINT and
    // report the refusal. Any other error ends the transaction and goes to the caller.
    private static async Task<(int Inserted, PostgresException? Refusal)> InsertOneAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, NpgsqlBatchCommand row, CancellationToken ct)
    {
        await transaction.SaveAsync(RowSavepoint, ct);
        int inserted;
        try
        {
            await using var command = new NpgsqlBatch(connection, transaction) { BatchCommands = { row } };
            await command.ExecuteNonQueryAsync(ct);
            inserted = Inserted(row);
        }
        catch (PostgresException e) when (PostgresErrors.IsDataError(e))
        {
            await transaction.RollbackAsync(RowSavepoint, ct);
            return (0, e);
        }

        await transaction.ReleaseAsync(RowSavepoint, ct);
        return (inserted, null);
    }

    private FeedRejectRow Refused(
        string stream, ulong seq, string subject, ReadOnlyMemory<byte> payload, DateTimeOffset publishedAt, PostgresException e)
    {
        Log.RowRefused(logger, seq, subject, stream, e.SqlState, e.MessageText);
        return new FeedRejectRow(
            seq, subject, payload, $"PostgreSQL refused the row ({e.SqlState}): {e.MessageText}", publishedAt);
    }
}
