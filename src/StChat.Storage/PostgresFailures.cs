using System.Net.Sockets;
using Npgsql;

namespace StChat.Storage;

/// <summary>The one answer, for ingest, migrations and chat, to "is another attempt worth it?".</summary>
public static class PostgresFailures
{
    /// <summary>
    /// True when waiting is the fix: the connection broke, or the server is starting, shutting down, restarting after
    /// a crash or out of connections. Used by everything that retries against PostgreSQL until it is back.
    /// </summary>
    public static bool IsTransient(Exception e) => e switch
    {
        NpgsqlException { IsTransient: true } => true,
        PostgresException pg => pg.SqlState is "57P01" or "57P02" or "57P03" or "53300",
        SocketException or TimeoutException => true,
        _ => false,
    };

    /// <summary>
    /// True when <see cref="IsTransient(Exception)"/> is, or when <paramref name="e"/> is one of the caller's own
    /// <paramref name="extra"/> cases: failures that another attempt fixes only because of how that caller writes.
    /// </summary>
    public static bool IsTransient(Exception e, PostgresRetryableCases extra)
    {
        ArgumentNullException.ThrowIfNull(extra);
        return IsTransient(e) || extra.Matches(e);
    }
}
