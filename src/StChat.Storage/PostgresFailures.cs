using System.Net.Sockets;
using Npgsql;

namespace StChat.Storage;

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
}
