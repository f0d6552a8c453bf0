using Dapper;
using Npgsql;

namespace StChat.Chat.Presence;

// SQL of presence across nodes (migration 0004). A node counts as live while its chat_node row is younger than the
// timeout; the rows of a node that stopped answering are ignored until a survivor removes them.
internal sealed class PresenceStore(NpgsqlDataSource dataSource)
{
    private const string RegisterSql = """
        INSERT INTO chat_node (node) VALUES (@node) ON CONFLICT (node) DO UPDATE SET seen_at = now()
        """;

    // No row: another node found this one silent for too long and removed it.
    private const string HeartbeatSql = "UPDATE chat_node SET seen_at = now() WHERE node = @node";

    // One (room, user) at a time across all nodes, so two nodes cannot both decide that they hold the first connection.
    private const string LockSql = "SELECT pg_advisory_xact_lock(hashtext(@room), hashtext(@user))";

    private const string EnterSql = "INSERT INTO chat_presence (room, username, node) VALUES (@room, @user, @node) ON CONFLICT DO NOTHING";

    private const string LeaveSql = "DELETE FROM chat_presence WHERE room = @room AND username = @user AND node = @node";

    private const string ElsewhereSql = """
        SELECT EXISTS (
            SELECT 1 FROM chat_presence p JOIN chat_node n ON n.node = p.node
            WHERE p.room = @room AND p.username = @user AND p.node <> @node AND n.seen_at > now() - @timeout)
        """;

    private const string OnlineSql = "INSERT INTO chat_online (username, node) VALUES (@user, @node) ON CONFLICT DO NOTHING";

    private const string OfflineSql = "DELETE FROM chat_online WHERE username = @user AND node = @node";

    private const string UsersInSql = """
        SELECT DISTINCT p.username FROM chat_presence p JOIN chat_node n ON n.node = p.node
        WHERE p.room = @room AND n.seen_at > now() - @timeout
        ORDER BY p.username
        """;

    private const string WhoIsOnlineSql = """
        SELECT DISTINCT lower(o.username) FROM chat_online o JOIN chat_node n ON n.node = o.node
        WHERE lower(o.username) = ANY(@keys) AND n.seen_at > now() - @timeout
        """;

    // Removes every node silent for longer than the timeout, with its rows, and returns the (room, user) pairs that are
    // connected on no live node now: their exits are due. SKIP LOCKED gives each dead node to one survivor. The
    // statement's snapshot still shows the rows it deletes, hence the `node <> ALL(dead)` filter.
    private const string RemoveDeadSql = """
        WITH dead AS (
            DELETE FROM chat_node
            WHERE node IN (SELECT node FROM chat_node WHERE seen_at <= now() - @timeout FOR UPDATE SKIP LOCKED)
            RETURNING node),
        offline AS (DELETE FROM chat_online o USING dead WHERE o.node = dead.node),
        gone AS (DELETE FROM chat_presence p USING dead WHERE p.node = dead.node RETURNING p.room, p.username)
        SELECT DISTINCT g.room, g.username FROM gone g
        WHERE NOT EXISTS (
            SELECT 1 FROM chat_presence p JOIN chat_node n ON n.node = p.node
            WHERE p.room = g.room AND p.username = g.username AND p.node NOT IN (SELECT node FROM dead)
              AND n.seen_at > now() - @timeout)
        """;

    private const string MarkStoppedSql = "UPDATE chat_node SET seen_at = '-infinity' WHERE node = @node";

    public async Task RegisterAsync(string node, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(RegisterSql, new { node }, cancellationToken: ct));
    }

    // False when this node had been declared dead.
    public async Task<bool> HeartbeatAsync(string node, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(HeartbeatSql, new { node }, cancellationToken: ct)) == 1;
    }

    // Records the user's connection to the room on this node; true when no other live node has one.
    public Task<bool> EnterAsync(string node, string room, string user, TimeSpan timeout, CancellationToken ct) =>
        ChangeAsync(EnterSql, node, room, user, timeout, ct);

    // Forgets it; true when no other live node has one.
    public Task<bool> LeaveAsync(string node, string room, string user, TimeSpan timeout, CancellationToken ct) =>
        ChangeAsync(LeaveSql, node, room, user, timeout, ct);

    public async Task SetOnlineAsync(string node, string user, bool online, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(online ? OnlineSql : OfflineSql, new { node, user }, cancellationToken: ct));
    }

    public async Task<string[]> UsersInAsync(string room, TimeSpan timeout, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<string>(new CommandDefinition(UsersInSql, new { room, timeout }, cancellationToken: ct))];
    }

    // The lowercased names among `keys` (lowercased) with a socket open on a live node.
    public async Task<HashSet<string>> OnlineAsync(string[] keys, TimeSpan timeout, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<string>(new CommandDefinition(WhoIsOnlineSql, new { keys, timeout }, cancellationToken: ct))];
    }

    public async Task<List<(string Room, string User)>> RemoveDeadAsync(TimeSpan timeout, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(string Room, string User)>(new CommandDefinition(RemoveDeadSql, new { timeout }, cancellationToken: ct))).AsList();
    }

    // A node that stops cleanly counts as dead at once: the survivors write the exits of its users who are not
    // connected anywhere else by then.
    public async Task MarkStoppedAsync(string node, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(MarkStoppedSql, new { node }, cancellationToken: ct));
    }

    private async Task<bool> ChangeAsync(string sql, string node, string room, string user, TimeSpan timeout, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var args = new { node, room, user, timeout };
        await connection.ExecuteAsync(new CommandDefinition(LockSql, args, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(sql, args, transaction, cancellationToken: ct));
        var elsewhere = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(ElsewhereSql, args, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return !elsewhere;
    }
}
