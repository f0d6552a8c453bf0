using Microsoft.Extensions.Logging;
using Npgsql;
using StChat.Storage;

namespace StChat.Ingest;

internal sealed partial class IngestWorker
{
    // The same failure is repeated in the log at most this often; the retries in between are logged at Debug.
    private static readonly TimeSpan StoreFailureReportInterval = TimeSpan.FromSeconds(30);

    // An outage (transient) is a Warning: it heals by itself. Anything else is an Error that says what to change,
    // since only an operator can fix it; the worker keeps retrying so that the fix is picked up without a restart.
    private void LogStoreFailure(NpgsqlException e, int count, RepeatedFailureGate failures, int attempt, TimeSpan delay)
    {
        var sqlState = (e as PostgresException)?.SqlState;
        if (!failures.ShouldReport(sqlState + e.Message, out var suppressed))
        {
            logger.LogDebug("Storing a batch failed again (attempt {Attempt}): {Error}; retrying in {Delay:0.0} s",
                attempt, e.Message, delay.TotalSeconds);
            return;
        }

        var repeats = suppressed > 0 ? $" ({suppressed} more identical failure(s) since the last report)" : "";
        if (PostgresFailures.IsTransient(e))
        {
            logger.LogWarning(
                "Storing a batch of {Count} message(s) failed (attempt {Attempt}): {Error}; nothing of it is acknowledged, " +
                "retrying in {Delay:0.0} s{Repeats}",
                count, attempt, e.Message, delay.TotalSeconds, repeats);
            return;
        }

        var remedy = PostgresErrors.Remedy(e) ?? (PostgresErrors.IsDataError(e)
            ? "PostgreSQL refused a row that could not be set aside in feed_rejects either; check the constraints and " +
              "triggers on feed_rejects"
            : "check the PostgreSQL server log for this error");
        logger.LogError(
            "Storing a batch of {Count} message(s) failed (attempt {Attempt}, SQLSTATE {SqlState}): {Error}; nothing of it " +
            "is acknowledged and the stream waits behind it. To fix: {Remedy}. Retrying with backoff up to " +
            "{MaxDelay:0.0} s until it succeeds{Repeats}",
            count, attempt, sqlState ?? "none", e.Message, remedy, _options.RetryMaxDelay.TotalSeconds, repeats);
    }
}
