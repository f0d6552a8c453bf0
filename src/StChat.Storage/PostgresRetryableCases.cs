using Npgsql;

namespace StChat.Storage;

/// <summary>
/// Failures a caller retries on top of the ones <see cref="PostgresFailures.IsTransient(Exception)"/> always retries.
/// </summary>
public sealed record PostgresRetryableCases
{
    /// <summary>Whole SQLSTATEs, e.g. <c>23505</c> when a racing writer may store the same key first.</summary>
    public IReadOnlySet<string> SqlStates { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Two-character SQLSTATE classes, e.g. <c>08</c> for every connection exception.</summary>
    public IReadOnlySet<string> SqlStateClasses { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Every error Npgsql raises itself (not from the server), also those it does not call transient: the statement
    /// was never sent or never answered, so the caller may send it again when it finds out what was stored.
    /// </summary>
    public bool ClientErrors { get; init; }

    /// <summary>
    /// <see cref="OperationCanceledException"/>, for callers that bound each attempt with their own timeout token and
    /// check their shutdown token themselves.
    /// </summary>
    public bool Cancellation { get; init; }

    internal bool Matches(Exception e) => e switch
    {
        PostgresException pg => SqlStates.Contains(pg.SqlState)
            || (pg.SqlState.Length >= 2 && SqlStateClasses.Contains(pg.SqlState[..2])),
        NpgsqlException => ClientErrors,
        OperationCanceledException => Cancellation,
        _ => false,
    };
}
