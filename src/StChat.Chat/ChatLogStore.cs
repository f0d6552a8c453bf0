using Dapper;
using Npgsql;

namespace StChat.Chat;

// SQL against chat_room / chat_log. Every batch costs a fixed number of round trips whatever its size: one to lock
// the rooms and find already stored ids, one to insert the rows and move the counters, one to commit.
internal sealed class ChatLogStore(NpgsqlDataSource dataSource)
{
    public const int ReadPageSize = 500;

    // Taking each room's row lock (in room order, so two writers cannot deadlock) serializes writers per room: the
    // last_seq returned is the newest committed value, and the id lookup that follows sees every committed row.
    private const string LockRoomsSql = """
        INSERT INTO chat_room (room, last_seq)
        SELECT r, 0 FROM unnest($1::text[]) AS r ORDER BY r
        ON CONFLICT (room) DO UPDATE SET last_seq = chat_room.last_seq
        RETURNING room, last_seq
        """;

    private const string FindIdsSql = """
        SELECT l.room, l.seq, l.action, l.username, l.text, l.client_msg_id, l.created_at, l.member
        FROM unnest($1::text[], $2::text[]) AS k(room, id)
        JOIN chat_log l ON l.room = k.room AND l.client_msg_id = k.id
        WHERE l.client_msg_id IS NOT NULL
        """;

    private const string InsertSql = """
        INSERT INTO chat_log (room, seq, action, username, text, client_msg_id, created_at, member)
        SELECT v.room, v.seq, v.action, v.username, v.text, v.id, $7, v.member
        FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $8::text[])
            AS v(room, seq, action, username, text, id, member)
        """;

    // A group's membership changes in the transaction that stores the event recording the change, so the member list
    // and the log never disagree. Applied in seq order: an account added and removed in one batch ends up removed.
    private const string AddMemberSql = """
        INSERT INTO conversation_member (room, account_id)
        SELECT $1, id FROM account WHERE lower(name) = lower($2)
        ON CONFLICT DO NOTHING
        """;

    private const string RemoveMemberSql = """
        DELETE FROM conversation_member m USING account a
        WHERE m.room = $1 AND m.account_id = a.id AND lower(a.name) = lower($2)
        """;

    private const string AdvanceRoomsSql = """
        UPDATE chat_room SET last_seq = v.last_seq
        FROM unnest($1::text[], $2::bigint[]) AS v(room, last_seq)
        WHERE chat_room.room = v.room
        """;

    // Read queries go through Dapper: the columns are named after ChatLogRow's constructor parameters.
    private const string ReadAfterSql = $"""
        SELECT {ChatLogRow.Columns}
        FROM chat_log
        WHERE room = @room AND seq > @after AND seq < @before
        ORDER BY seq
        LIMIT @limit
        """;

    private const string ReadBeforeSql = $"""
        SELECT {ChatLogRow.Columns}
        FROM chat_log
        WHERE room = @room AND seq < @before
        ORDER BY seq DESC
        LIMIT @limit
        """;

    private const string ReadLatestSql = $"""
        SELECT {ChatLogRow.Columns}
        FROM (SELECT * FROM chat_log WHERE room = @room ORDER BY seq DESC LIMIT @count) AS latest
        ORDER BY seq
        """;

    private const string FindIdSql = $"""
        SELECT {ChatLogRow.Columns}
        FROM chat_log
        WHERE room = @room AND client_msg_id = @id
        """;

    private const string LastSeqsSql = "SELECT room, last_seq AS LastSeq FROM chat_room WHERE room = ANY(@rooms)";

    private const string LastSeqSql = """
        SELECT coalesce((SELECT last_seq FROM chat_room WHERE room = @room), 0)
        """;

    public async Task<AppendResult> AppendAsync(IReadOnlyList<PendingEvent> batch, DateTime createdAt, CancellationToken ct)
    {
        var rooms = batch.Select(p => p.Room).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        var lastSeq = new Dictionary<string, long>(StringComparer.Ordinal);
        var stored = new Dictionary<(string Room, string Id), ChatEvent>();
        await using (var lookup = new NpgsqlBatch(connection, transaction))
        {
            lookup.BatchCommands.Add(Command(LockRoomsSql, Text(rooms)));
            lookup.BatchCommands.Add(Command(FindIdsSql, Text(batch.Select(p => p.Room).ToArray()), Text(batch.Select(p => p.Id).ToArray())));
            await using var reader = await lookup.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                lastSeq[reader.GetString(0)] = reader.GetInt64(1);
            }

            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var e = ReadEvent(reader);
                stored[(e.Room, e.Id)] = e;
            }
        }

        var results = new ChatEvent[batch.Count];
        var inserted = new List<ChatEvent>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var p = batch[i];
            // A repeated id, stored earlier or earlier in this same batch, is answered with the first event.
            if (stored.TryGetValue((p.Room, p.Id), out var existing))
            {
                results[i] = existing;
                continue;
            }

            var seq = lastSeq[p.Room] + 1;
            lastSeq[p.Room] = seq;
            var e = new ChatEvent(p.Room, seq, p.Action, p.User, p.Text, p.Id, createdAt, p.Member);
            stored[(p.Room, p.Id)] = e;
            inserted.Add(e);
            results[i] = e;
        }

        if (inserted.Count > 0)
        {
            await using var write = new NpgsqlBatch(connection, transaction);
            write.BatchCommands.Add(Command(InsertSql,
                Text(inserted.Select(e => e.Room).ToArray()),
                new NpgsqlParameter<long[]> { TypedValue = inserted.Select(e => e.Seq).ToArray() },
                Text(inserted.Select(e => ChatEvent.ActionName(e.Action)).ToArray()),
                Text(inserted.Select(e => e.User).ToArray()),
                new NpgsqlParameter<string?[]> { TypedValue = inserted.Select(e => e.Text).ToArray() },
                Text(inserted.Select(e => e.Id).ToArray()),
                new NpgsqlParameter<DateTime> { TypedValue = createdAt },
                new NpgsqlParameter<string?[]> { TypedValue = inserted.Select(e => e.Member).ToArray() }));
            foreach (var change in inserted.Where(e => e.Member is not null))
            {
                write.BatchCommands.Add(Command(change.Action == ChatAction.MemberAdded ? AddMemberSql : RemoveMemberSql,
                    new NpgsqlParameter<string> { TypedValue = change.Room },
                    new NpgsqlParameter<string> { TypedValue = change.Member! }));
            }

            var advanced = inserted.Select(e => e.Room).Distinct(StringComparer.Ordinal).ToArray();
            write.BatchCommands.Add(Command(AdvanceRoomsSql,
                Text(advanced),
                new NpgsqlParameter<long[]> { TypedValue = advanced.Select(r => lastSeq[r]).ToArray() }));
            await write.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return new AppendResult(results, inserted);
    }

    // Events with after < seq < before, oldest first, at most `limit` (ReadPageSize) of them.
    public async Task<List<ChatEvent>> ReadAfterAsync(string room, long after, long before, CancellationToken ct, int limit = ReadPageSize)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ChatLogRow>(
            new CommandDefinition(ReadAfterSql, new { room, after, before, limit }, cancellationToken: ct));
        return rows.Select(r => r.ToEvent()).ToList();
    }

    // Events with seq < before, newest first, at most `limit` of them: scrolling back.
    public async Task<List<ChatEvent>> ReadBeforeAsync(string room, long before, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ChatLogRow>(
            new CommandDefinition(ReadBeforeSql, new { room, before, limit }, cancellationToken: ct));
        return rows.Select(r => r.ToEvent()).ToList();
    }

    // The newest count events, oldest first, and the seq a client has seen after reading them.
    public async Task<(List<ChatEvent> Events, long LastSeq)> ReadLatestAsync(string room, int count, CancellationToken ct)
    {
        if (count == 0)
        {
            return ([], await ReadLastSeqAsync(room, ct));
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ChatLogRow>(
            new CommandDefinition(ReadLatestSql, new { room, count }, cancellationToken: ct));
        var events = rows.Select(r => r.ToEvent()).ToList();
        return (events, events.Count == 0 ? 0 : events[^1].Seq);
    }

    // The event stored under a client's id (an idempotency key), or null.
    public async Task<ChatEvent?> FindByIdAsync(string room, string id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<ChatLogRow>(
            new CommandDefinition(FindIdSql, new { room, id }, cancellationToken: ct));
        return row?.ToEvent();
    }

    // The seq of the room's newest committed event; 0 for a room that has none.
    public async Task<long> ReadLastSeqAsync(string room, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<long>(new CommandDefinition(LastSeqSql, new { room }, cancellationToken: ct));
    }

    // The last seq of each of `rooms` that has an event.
    public async Task<List<(string Room, long LastSeq)>> ReadLastSeqsAsync(string[] rooms, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Room, long LastSeq)>(new CommandDefinition(LastSeqsSql, new { rooms }, cancellationToken: ct));
        return rows.AsList();
    }

    // Columns of FindIdsSql: room, seq, action, username, text, client_msg_id, created_at, member.
    private static ChatEvent ReadEvent(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetInt64(1),
        ChatEvent.ParseAction(reader.GetString(2)),
        reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? "" : reader.GetString(5),
        reader.GetDateTime(6),
        reader.IsDBNull(7) ? null : reader.GetString(7));

    // Parameters are typed, so each value is written without boxing and without guessing its PostgreSQL type.
    private static NpgsqlBatchCommand Command(string sql, params ReadOnlySpan<NpgsqlParameter> parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static NpgsqlParameter<string[]> Text(string[] values) => new() { TypedValue = values };
}
