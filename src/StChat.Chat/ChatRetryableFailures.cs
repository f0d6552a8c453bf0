using StChat.Storage;

namespace StChat.Chat;

// What chat retries on top of PostgresFailures' transient cases, for writes and reads alike. Anything else (a
// constraint violation, text PostgreSQL cannot hold, a bug in the SQL) fails the same way every time.
internal static class ChatRetryableFailures
{
    public static readonly PostgresRetryableCases Cases = new()
    {
        // Serialization failure and deadlock; 23505: a concurrent writer stored the same client id first, and the
        // next attempt finds its event.
        SqlStates = new HashSet<string>(StringComparer.Ordinal) { "40001", "40P01", "23505" },
        SqlStateClasses = new HashSet<string>(StringComparer.Ordinal) { "08" },
        // Every attempt looks up the ids it carries first, so resending after an unanswered statement stores nothing twice.
        ClientErrors = true,
        // An attempt that ran out of its own timeout; callers tell shutdown apart by their own token.
        Cancellation = true,
    };

    public static bool IsRetryable(Exception e) => PostgresFailures.IsTransient(e, Cases);
}
