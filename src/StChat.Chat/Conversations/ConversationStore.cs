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

    private const string FollowSql = """
        INSERT INTO read_marker (account_id, room) VALUES (@account, @room) ON CONFLICT DO NOTHING
        """;

    // Never moves back, and never beyond the conversation's last seq (then no row comes back).
    private const string MarkReadSql = """
        INSERT INTO read_marker (account_id, room, seq)
        SELECT @account, @room, @seq
        WHERE @seq <= coalesce((SELECT last_seq FROM chat_room WHERE room = @room), 0)
        ON CONFLICT (account_id, room) DO UPDATE SET seq = greatest(read_marker.seq, excluded.seq), updated_at = now()
        RETURNING seq
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

internal sealed record DirectConversation(ConversationKey Key, Account Me, Account Other, bool Created);
