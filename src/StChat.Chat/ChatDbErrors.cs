using Npgsql;

namespace StChat.Chat;

// Which PostgreSQL failures are worth another attempt, for writes and reads alike. Anything else (a constraint
// violation, text PostgreSQL cannot hold, a bug in the SQL) fails the same way every time.
internal static class ChatDbErrors
{
    public static bool IsRetryable(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)   // connection exceptions
            || pg.SqlState is "57P01" or "57P02" or "57P03"                              // admin shutdown, crash, starting up
            or "53300" or "40001" or "40P01"                                             // too many connections, serialization, deadlock
            or "23505",                                                                  // a concurrent writer stored the same id first
        NpgsqlException => true,     // I/O and broken connections; the server never saw or never answered the statement
        OperationCanceledException => true,   // the attempt timed out
        TimeoutException => true,
        System.Net.Sockets.SocketException => true,
        _ => false,
    };
}
