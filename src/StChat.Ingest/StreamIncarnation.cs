using Npgsql;

namespace StChat.Ingest;

/// <summary>
/// Guards the (stream, stream_seq) key: the catalogue remembers when the stream it was filled from was created, and a
/// stream recreated under the same name (sequence numbers restarting at 1) is refused instead of silently dropped.
/// </summary>
internal sealed class StreamIncarnation(NpgsqlDataSource dataSource)
{
    private const string RememberAndRead = """
        WITH remembered AS (
            INSERT INTO feed_streams (stream, created_at) VALUES ($1, $2)
            ON CONFLICT (stream) DO NOTHING
            RETURNING created_at
        )
        SELECT created_at FROM remembered
        UNION ALL
        SELECT created_at FROM feed_streams WHERE stream = $1
        LIMIT 1
        """;

    /// <summary>Records the stream's creation time on first use; throws when the broker's stream is a different one.</summary>
    public async Task CheckAsync(string stream, DateTimeOffset created, CancellationToken ct)
    {
        // PostgreSQL keeps microseconds; the broker reports nanoseconds.
        var createdUtc = new DateTime(created.UtcTicks - (created.UtcTicks % 10), DateTimeKind.Utc);
        await using var command = dataSource.CreateCommand(RememberAndRead);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = createdUtc, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        var known = (DateTime)(await command.ExecuteScalarAsync(ct))!;
        if (known != createdUtc)
        {
            throw new InvalidOperationException(
                $"JetStream stream '{stream}' was created at {createdUtc:O}, but the catalogue was filled from a stream of " +
                $"that name created at {known:O}. The new stream numbers its messages from 1 again, so they would be taken " +
                "for rows already stored. Set Ingest:Stream to a new name (the old rows stay queryable under the old one), " +
                $"or, once the old rows are archived, run DELETE FROM feed_streams WHERE stream = '{stream}' together with " +
                "deleting that stream's rows from sport_event, execution and feed_rejects.");
        }
    }
}
