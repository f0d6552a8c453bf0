using Npgsql;

namespace StChat.Ingest;

/// <summary>Sorts a failed write by what fixes it: waiting, setting the offending message aside, or an operator.</summary>
internal static class PostgresErrors
{
    // SQLSTATE class 22 (data exception) or 23 (integrity constraint violation): PostgreSQL refused a row's values,
    // so the same batch fails the same way on every retry until the row is taken out of it.
    public static bool IsDataError(NpgsqlException e) =>
        e is PostgresException { SqlState: ['2', '2', ..] or ['2', '3', ..] };

    // What an operator has to change for a failure that no amount of retrying fixes; null when nothing specific is known.
    public static string? Remedy(NpgsqlException e) => (e as PostgresException)?.SqlState switch
    {
        "42501" =>
            "the database user may not write the catalogue; as the owner of the tables run GRANT SELECT, INSERT ON " +
            "sport_event, execution, feed_rejects, feed_streams TO <the user in ConnectionStrings:Postgres>",
        ['4', '2', ..] =>
            "the catalogue tables are missing or older than this version; run `./stchat migrate` (or `stchat migrate` " +
            "with ConnectionStrings__Postgres set) against this database",
        ['2', '8', ..] =>
            "PostgreSQL refused the login; check the user and password in ConnectionStrings:Postgres and the matching " +
            "pg_hba.conf line",
        "3D000" =>
            "the database named in ConnectionStrings:Postgres does not exist; create it (createdb <name>) and run " +
            "`./stchat migrate`",
        "25006" =>
            "the server is a read-only standby; point ConnectionStrings:Postgres at the primary",
        _ => null,
    };
}
