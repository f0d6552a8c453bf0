using Dapper;
using Npgsql;
using StChat.Chat.Accounts;

namespace StChat.Chat.Conversations;

// Direct and group conversations, their members and the accounts' read markers. The log itself is ChatLogStore's.
internal sealed class ConversationStore(NpgsqlDataSource dataSource)
{
    private const string FindAccountSql = "SELECT id, name FROM account WHERE lower(name) = lower(@name)";

    // RETURNING gives a row only to the request that created the conversation.
    private const string CreateDirectSql = """
        INSERT INTO conversation (room, kind, created_by) VALUES (@room, 'direct', @me)
        ON CONFLICT (room) DO NOTHING
        RETURNING room
        """;

    private const string AddDirectMembersSql = """
        INSERT INTO conversation_member (room, account_id) VALUES (@room, @me), (@room, @other)
        ON CONFLICT DO NOTHING
        """;

    private const string IsMemberSql = """
        SELECT EXISTS (SELECT 1 FROM conversation_member WHERE room = @room AND account_id = @account)
        """;

    private const string MembersSql = """
        SELECT a.id, a.name FROM conversation_member m JOIN account a ON a.id = m.account_id
        WHERE m.room = @room ORDER BY lower(a.name)
        """;

    // Following starts at the room's newest event: what was said before the account came counts as read.
    private const string FollowSql = """
        INSERT INTO read_marker (account_id, room, seq)
        SELECT @account, @room, coalesce((SELECT last_seq FROM chat_room WHERE room = @room), 0)
        ON CONFLICT DO NOTHING
        """;

    // Never moves back, and never beyond the conversation's last seq (then no row comes back).
    private const string MarkReadSql = """
        INSERT INTO read_marker (account_id, room, seq)
        SELECT @account, @room, @seq
        WHERE @seq <= coalesce((SELECT last_seq FROM chat_room WHERE room = @room), 0)
        ON CONFLICT (account_id, room) DO UPDATE SET seq = greatest(read_marker.seq, excluded.seq), updated_at = now()
        RETURNING seq
        """;

    private const string FindAccountsSql = "SELECT id, name FROM account WHERE lower(name) = ANY(@names)";

    // A new group is created whole: the conversation, its members, and the member_added events that record who the
    // creator added, numbered 1..n in its log. Nobody can write to a key that did not exist a moment ago, so no lock
    // of chat_room is needed for the numbering.
    private const string CreateGroupSql = """
        INSERT INTO conversation (room, kind, title, created_by) VALUES (@room, 'group', @title, @creator);
        INSERT INTO conversation_member (room, account_id) SELECT @room, unnest(@ids);
        INSERT INTO chat_room (room, last_seq) VALUES (@room, cardinality(@added));
        INSERT INTO chat_log (room, seq, action, username, client_msg_id, member)
        SELECT @room, m.seq, 'member_added', @creatorName, gen_random_uuid()::text, m.name
        FROM unnest(@added) WITH ORDINALITY AS m(name, seq);
        """;

    // The account's direct and group conversations, and the public rooms it follows (a read_marker row with no
    // conversation row), newest activity first. unread counts the messages after the read marker that others sent.
    private const string ListSql = """
        WITH mine AS (
            SELECT room FROM conversation_member WHERE account_id = @account
            UNION
            SELECT r.room FROM read_marker r
            WHERE r.account_id = @account AND NOT EXISTS (SELECT 1 FROM conversation c WHERE c.room = r.room)
        )
        SELECT mine.room,
               coalesce(c.kind, 'public') AS kind,
               c.title,
               (SELECT string_agg(a.name, ',' ORDER BY lower(a.name)) FROM conversation_member cm
                JOIN account a ON a.id = cm.account_id WHERE cm.room = mine.room) AS members,
               (SELECT string_agg(a.name || ':' || r.seq, ',' ORDER BY lower(a.name)) FROM read_marker r
                JOIN account a ON a.id = r.account_id
                WHERE r.room = mine.room AND r.account_id <> @account AND c.room IS NOT NULL) AS ReadBy,
               coalesce(cr.last_seq, 0) AS LastSeq,
               coalesce(rm.seq, 0) AS ReadSeq,
               (SELECT count(*) FROM chat_log l
                WHERE l.room = mine.room AND l.seq > coalesce(rm.seq, 0) AND l.action = 'message'
                  AND lower(l.username) <> lower(@name)) AS unread,
               last.seq AS LastEventSeq, last.action AS LastEventAction, last.username AS LastEventUser,
               last.text AS LastEventText, last.client_msg_id AS LastEventId, last.created_at AS LastEventAt,
               last.member AS LastEventMember
        FROM mine
        LEFT JOIN conversation c ON c.room = mine.room
        LEFT JOIN chat_room cr ON cr.room = mine.room
        LEFT JOIN read_marker rm ON rm.account_id = @account AND rm.room = mine.room
        LEFT JOIN LATERAL (
            SELECT seq, action, username, text, client_msg_id, created_at, member
            FROM chat_log l WHERE l.room = mine.room ORDER BY l.seq DESC LIMIT 1) last ON true
        WHERE @room::text IS NULL OR mine.room = @room
        ORDER BY coalesce(last.created_at, c.created_at) DESC NULLS LAST, mine.room
        """;

    public async Task<Account?> FindAccountAsync(string name, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Account>(new CommandDefinition(FindAccountSql, new { name }, cancellationToken: ct));
    }

    // The direct conversation of `me` and the account named `otherName`, created on first use; null when there is no
    // such account, or it is `me`.
    public async Task<DirectConversation?> OpenDirectAsync(AccountUser me, string otherName, CancellationToken ct)
    {
        if (!AccountName.IsValid(otherName))
        {
            return null;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var other = await connection.QuerySingleOrDefaultAsync<Account>(
            new CommandDefinition(FindAccountSql, new { name = otherName }, cancellationToken: ct));
        if (other is null || other.Id == me.Id || ConversationKey.Direct(me.Name, other.Name) is not { } key)
        {
            return null;
        }

        await using var transaction = await connection.BeginTransactionAsync(ct);
        var created = await connection.ExecuteScalarAsync<string?>(
            new CommandDefinition(CreateDirectSql, new { room = key.Value, me = me.Id }, transaction, cancellationToken: ct)) is not null;
        await connection.ExecuteAsync(
            new CommandDefinition(AddDirectMembersSql, new { room = key.Value, me = me.Id, other = other.Id }, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return new DirectConversation(key, new Account(me.Id, me.Name), other, created);
    }

    // Accounts by name (any case); names with no account are missing from the result.
    public async Task<List<Account>> FindAccountsAsync(IEnumerable<string> names, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<Account>(new CommandDefinition(
            FindAccountsSql, new { names = names.Select(AccountName.Key).Distinct().ToArray() }, cancellationToken: ct));
        return rows.AsList();
    }

    // A group of `creator` and `others` (accounts found by FindAccountsAsync), with a member_added event for each other.
    public async Task<ConversationKey> CreateGroupAsync(Account creator, string title, IReadOnlyList<Account> others, CancellationToken ct)
    {
        var key = ConversationKey.NewGroup();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(CreateGroupSql, new
        {
            room = key.Value,
            title,
            creator = creator.Id,
            creatorName = creator.Name,
            ids = others.Select(a => a.Id).Prepend(creator.Id).ToArray(),
            added = others.Select(a => a.Name).ToArray(),
        }, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return key;
    }

    // The account's conversations (or only `room`), newest activity first.
    public async Task<List<ConversationRow>> ListAsync(long accountId, string accountName, ConversationKey? room, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ConversationRow>(new CommandDefinition(
            ListSql, new { account = accountId, name = accountName, room = room?.Value }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<bool> IsMemberAsync(ConversationKey key, long accountId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(
            new CommandDefinition(IsMemberSql, new { room = key.Value, account = accountId }, cancellationToken: ct));
    }

    public async Task<List<Account>> MembersAsync(ConversationKey key, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<Account>(new CommandDefinition(MembersSql, new { room = key.Value }, cancellationToken: ct));
        return rows.AsList();
    }

    // A public room the account subscribed to or posted in is listed among its conversations.
    public async Task FollowAsync(long accountId, ConversationKey key, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(FollowSql, new { account = accountId, room = key.Value }, cancellationToken: ct));
    }

    // The read marker after the update (it never moves back); null when `seq` is beyond the conversation's last seq.
    public async Task<long?> MarkReadAsync(long accountId, ConversationKey key, long seq, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(
            new CommandDefinition(MarkReadSql, new { account = accountId, room = key.Value, seq }, cancellationToken: ct));
    }
}

internal sealed record Account(long Id, string Name);

// One entry of GET /api/conversations as ListSql selects it; the LastEvent* columns are null for an empty log.
internal sealed record ConversationRow(
    string Room,
    string Kind,
    string? Title,
    string? Members,
    string? ReadBy,
    long LastSeq,
    long ReadSeq,
    long Unread,
    long? LastEventSeq,
    string? LastEventAction,
    string? LastEventUser,
    string? LastEventText,
    string? LastEventId,
    DateTime? LastEventAt,
    string? LastEventMember)
{
    // Account names hold no ',' (AccountName.Rule), so the list travels as one comma-separated text.
    public IReadOnlyList<string> MemberNames => Members?.Split(',') ?? [];

    // The other members' read markers ("name:seq,..."), for "Seen by" in a client that has just opened the list.
    public IReadOnlyList<MemberRead> MemberReads =>
        ReadBy?.Split(',').Select(r => r.Split(':')).Select(p => new MemberRead(p[0], long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture))).ToList() ?? [];

    public ChatEvent? LastEvent => LastEventSeq is { } seq
        ? new ChatEvent(Room, seq, ChatEvent.ParseAction(LastEventAction!), LastEventUser!, LastEventText, LastEventId ?? "", LastEventAt!.Value, LastEventMember)
        : null;
}

internal sealed record DirectConversation(ConversationKey Key, Account Me, Account Other, bool Created);
