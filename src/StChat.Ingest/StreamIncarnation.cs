using Npgsql;
using StChat.Storage;

namespace StChat.Ingest;

/// <summary>
/// Guards the (stream, stream_seq) key: the catalogue remembers when the stream it was filled from was created, and a
/// stream recreated under the same name (sequence numbers restarting at 1) is refused instead of silently dropped.
/// </summary>
internal sealed class StreamIncarnation(NpgsqlDataSource dataSource)
{
    // One statement that always returns the remembered value, also when workers start together: DO UPDATE waits for a
    // concurrent first insert and returns the row it committed, where DO NOTHING plus a SELECT would read the
    // statement's snapshot, taken before that insert committed, and find no row at all.
    private const string RememberAndRead = """
        INSERT INTO feed_streams (stream, created_at) VALUES ($1, $2)
        ON CONFLICT (stream) DO UPDATE SET created_at = feed_streams.created_at
        RETURNING created_at
        """;

    /// <summary>Records the stream's creation time on first use; throws when the broker's stream is a different one.</summary>
    public async Task CheckAsync(string stream, DateTimeOffset created, CancellationToken ct)
    {
        var createdUtc = PostgresTimestamp.ToMicroseconds(created);
        await using var command = dataSource.CreateCommand(RememberAndRead);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = createdUtc, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        var known = (DateTime)(await command.ExecuteScalarAsync(ct))!;
        if (known != createdUtc)
        {
            throw new StreamRecreatedException(
                $"JetStream stream '{stream}' was created at {createdUtc:O}, but the catalogue was filled from a stream of " +
                $"that name created at {known:O}. The new stream numbers its messages from 1 again, so they would be taken " +
                "for rows already stored. " + Remedy(stream));
        }
    }

    /// <summary>What an operator can do once a stream was created again under a name the catalogue already holds.</summary>
    public static string Remedy(string stream) =>
        "Set Ingest:Stream to a new name (the old rows stay queryable under the old one; if the recreated stream still " +
        "captures the feed subjects, `nats stream rm` it first, losing what it holds), or, once the old rows are " +
        $"archived, run DELETE FROM feed_streams WHERE stream = '{stream}' together with deleting that stream's rows " +
        "from sport_event, execution and feed_rejects, and start the worker again.";
}
