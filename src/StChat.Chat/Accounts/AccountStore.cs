using Dapper;
using Npgsql;

namespace StChat.Chat.Accounts;

// The account table: registration, sign-in lookups and the user directory.
internal sealed class AccountStore(NpgsqlDataSource dataSource)
{
    private const string InsertSql = """
        INSERT INTO account (name, password_hash) VALUES (@name, @hash)
        ON CONFLICT DO NOTHING
        RETURNING name
        """;

    private const string FindSql = """
        SELECT id, name, password_hash AS PasswordHash FROM account WHERE lower(name) = lower(@name)
        """;

    private const string UpdateHashSql = "UPDATE account SET password_hash = @hash WHERE id = @id";

    // Prefix search on the lowercased name (served by account_name_key); `after` pages on from the last name shown.
    private const string SearchSql = """
        SELECT name FROM account
        WHERE lower(name) LIKE @prefix ESCAPE '\' AND lower(name) > @after
        ORDER BY lower(name)
        LIMIT @limit
        """;

    // False when the name is taken, in any case.
    public async Task<bool> TryCreateAsync(string name, string passwordHash, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<string?>(
            new CommandDefinition(InsertSql, new { name, hash = passwordHash }, cancellationToken: ct)) is not null;
    }

    public async Task<StoredAccount?> FindAsync(string name, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<StoredAccount>(new CommandDefinition(FindSql, new { name }, cancellationToken: ct));
    }

    public async Task UpdatePasswordHashAsync(long id, string passwordHash, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(UpdateHashSql, new { id, hash = passwordHash }, cancellationToken: ct));
    }

    public async Task<List<string>> SearchAsync(string prefix, string? after, int limit, CancellationToken ct)
    {
        var pattern = Escape(AccountName.Key(prefix)) + "%";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var names = await connection.QueryAsync<string>(new CommandDefinition(SearchSql,
            new { prefix = pattern, after = after is null ? "" : AccountName.Key(after), limit }, cancellationToken: ct));
        return names.AsList();
    }

    // LIKE's own characters in the user's text match only themselves.
    private static string Escape(string text) =>
        text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
}

internal sealed record StoredAccount(long Id, string Name, string PasswordHash);
