using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace StChat.Chat.Accounts;

// Sessions by token hash. Signing out deletes the row, so a revoked token is as unknown as one never issued.
internal sealed class SessionStore(NpgsqlDataSource dataSource, IOptions<ChatOptions> options, TimeProvider time)
{
    private readonly TimeSpan _lifetime = options.Value.SessionLifetime;

    // Expired rows of the account are removed as it signs in, so the table holds live sessions and recent ones only.
    private const string CreateSql = """
        DELETE FROM account_session WHERE account_id = @account AND expires_at <= @now;
        INSERT INTO account_session (token_hash, account_id, expires_at) VALUES (@hash, @account, @expires)
        RETURNING id
        """;

    private const string FindSql = """
        SELECT s.id AS SessionId, a.id AS AccountId, a.name, s.expires_at AS ExpiresAt
        FROM account_session s JOIN account a ON a.id = s.account_id
        WHERE s.token_hash = @hash AND s.expires_at > @now
        """;

    private const string DeleteSql = "DELETE FROM account_session WHERE id = @id";

    private const string LiveSql = "SELECT id FROM account_session WHERE id = ANY(@ids) AND expires_at > @now";

    public async Task<(string Token, DateTimeOffset ExpiresAt)> CreateAsync(long accountId, CancellationToken ct)
    {
        var token = SessionToken.New();
        var now = time.GetUtcNow();
        var expires = now + _lifetime;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(CreateSql,
            new { hash = SessionToken.Hash(token), account = accountId, now, expires }, cancellationToken: ct));
        return (token, expires);
    }

    // The signed-in account of a live session; null for a token that is unknown, expired or signed out.
    public async Task<AccountUser?> FindAsync(string token, CancellationToken ct)
    {
        if (token.Length > SessionToken.MaxLength)
        {
            return null;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition(FindSql,
            new { hash = SessionToken.Hash(token), now = time.GetUtcNow() }, cancellationToken: ct));
        return row is null ? null : new AccountUser(row.AccountId, row.Name, row.SessionId, new DateTimeOffset(row.ExpiresAt, TimeSpan.Zero));
    }

    // Those of `sessionIds` that are live: not signed out, not expired.
    public async Task<HashSet<long>> LiveAsync(long[] sessionIds, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var live = await connection.QueryAsync<long>(new CommandDefinition(LiveSql, new { ids = sessionIds, now = time.GetUtcNow() }, cancellationToken: ct));
        return [.. live];
    }

    public async Task DeleteAsync(long sessionId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(DeleteSql, new { id = sessionId }, cancellationToken: ct));
    }

    private sealed record SessionRow(long SessionId, long AccountId, string Name, DateTime ExpiresAt);
}
