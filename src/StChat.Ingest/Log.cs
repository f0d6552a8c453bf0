using Microsoft.Extensions.Logging;

namespace StChat.Ingest;

// The worker's log lines, source-generated so that a line below the configured level costs nothing.
internal static partial class Log
{
    [LoggerMessage(LogLevel.Information,
        "Consuming stream {Stream} (subjects {Subjects}, {Replicas} replica(s)) through durable consumer {Consumer}, " +
        "batches of {BatchSize}, as worker {Worker}")]
    public static partial void Consuming(
        ILogger logger, string stream, string subjects, int replicas, string consumer, int batchSize, string worker);

    [LoggerMessage(LogLevel.Warning,
        "Setting up stream {Stream} and consumer {Consumer} failed (attempt {Attempt}): {Error}; retrying in {Delay:0.0} s")]
    public static partial void SetupFailed(ILogger logger, string stream, string consumer, int attempt, string error, double delay);

    [LoggerMessage(LogLevel.Warning,
        "Fetching from stream {Stream} consumer {Consumer} failed (attempt {Attempt}): {Error}; retrying in {Delay:0.0} s")]
    public static partial void FetchFailed(ILogger logger, string stream, string consumer, int attempt, string error, double delay);

    [LoggerMessage(LogLevel.Warning, "A fetch ended early after {Count} message(s) ({Error}); storing those first")]
    public static partial void FetchEndedEarly(ILogger logger, int count, string error);

    [LoggerMessage(LogLevel.Debug, "Storing a batch failed again (attempt {Attempt}): {Error}; retrying in {Delay:0.0} s")]
    public static partial void StoreFailedAgain(ILogger logger, int attempt, string error, double delay);

    [LoggerMessage(LogLevel.Warning,
        "Storing a batch of {Count} message(s) failed (attempt {Attempt}): {Error}; nothing of it is acknowledged, " +
        "retrying in {Delay:0.0} s{Repeats}")]
    public static partial void StoreFailedTransient(
        ILogger logger, int count, int attempt, string error, double delay, string repeats);

    [LoggerMessage(LogLevel.Error,
        "Storing a batch of {Count} message(s) failed (attempt {Attempt}, SQLSTATE {SqlState}): {Error}; nothing of it " +
        "is acknowledged and the stream waits behind it. To fix: {Remedy}. Retrying with backoff up to " +
        "{MaxDelay:0.0} s until it succeeds{Repeats}")]
    public static partial void StoreFailed(
        ILogger logger, int count, int attempt, string sqlState, string error, string remedy, double maxDelay, string repeats);

    [LoggerMessage(LogLevel.Information, "PostgreSQL is back; stored the batch of {Count} after {Attempts} failed attempt(s)")]
    public static partial void StoredAfterFailures(ILogger logger, int count, int attempts);

    [LoggerMessage(LogLevel.Warning,
        "PostgreSQL has not answered for {Seconds:0} s while storing a batch of {Count} message(s); nothing of it is " +
        "acknowledged, and the broker is told it is still in progress so that it keeps the batch for this worker")]
    public static partial void StoreStalled(ILogger logger, double seconds, int count);

    [LoggerMessage(LogLevel.Information, "PostgreSQL answered after {Seconds:0.0} s; the batch of {Count} is stored")]
    public static partial void StoredAfterStall(ILogger logger, double seconds, int count);

    [LoggerMessage(LogLevel.Warning,
        "PostgreSQL refused a row of a batch of {Count} ({SqlState}: {Error}); storing the batch one message at a time " +
        "to set the refused message(s) aside in feed_rejects")]
    public static partial void RowRefusedInBatch(ILogger logger, int count, string sqlState, string error);

    [LoggerMessage(LogLevel.Warning,
        "PostgreSQL refused message {Seq} on {Subject} of stream {Stream} ({SqlState}: {Error}); it is stored in " +
        "feed_rejects instead")]
    public static partial void RowRefused(ILogger logger, ulong seq, string subject, string stream, string sqlState, string error);

    [LoggerMessage(LogLevel.Warning, "{Count} message(s) could not be decoded and were stored in feed_rejects; first: {Error}")]
    public static partial void Rejected(ILogger logger, int count, string error);

    [LoggerMessage(LogLevel.Error,
        "{Count} message(s) on {Subject} carry no JetStream metadata (reply subject {ReplyTo}) and cannot be " +
        "catalogued; they are terminated")]
    public static partial void Unusable(ILogger logger, int count, string subject, string? replyTo);

    [LoggerMessage(LogLevel.Warning,
        "Acknowledging a stored batch of {Count} failed ({Error}); the broker will redeliver it and the catalogue will " +
        "ignore the repeats")]
    public static partial void AckFailed(ILogger logger, int count, string error);

    [LoggerMessage(LogLevel.Information, "Returning {Count} unstored message(s) to the broker: {Reason}")]
    public static partial void GivingBack(ILogger logger, int count, string reason);

    [LoggerMessage(LogLevel.Warning,
        "Returning {Count} message(s) failed ({Error}); the broker redelivers them after AckWait ({AckWait})")]
    public static partial void GiveBackFailed(ILogger logger, int count, string error, TimeSpan ackWait);

    [LoggerMessage(LogLevel.Warning,
        "Extending the ack deadline of the pending batch failed ({Error}); it may be redelivered, which the catalogue " +
        "absorbs")]
    public static partial void InProgressFailed(ILogger logger, string error);

    [LoggerMessage(LogLevel.Information,
        "Ingest progress of worker {Worker}: {Rate:0.0} msgs/s; totals: {Messages} consumed, {Stored} stored, " +
        "{Rejected} rejected, {Redelivered} redelivered, {AlreadyStored} already stored")]
    public static partial void Progress(
        ILogger logger, string worker, double rate, long messages, long stored, long rejected, long redelivered,
        long alreadyStored);

    [LoggerMessage(LogLevel.Error, "Another batch stored at the same time as the one that stopped the worker failed too: {Error}")]
    public static partial void OtherStoreFailed(ILogger logger, string error);

    [LoggerMessage(LogLevel.Information, "Ingest worker {Worker} stopping")]
    public static partial void Stopping(ILogger logger, string worker);

    [LoggerMessage(LogLevel.Information,
        "Ingest totals of worker {Worker}: {Messages} consumed, {Stored} stored, {Rejected} rejected, " +
        "{Redelivered} redelivered, {AlreadyStored} already stored")]
    public static partial void Totals(
        ILogger logger, string worker, long messages, long stored, long rejected, long redelivered, long alreadyStored);

    [LoggerMessage(LogLevel.Debug, "The catalogue notice of a committed batch was not sent ({Error}); readers find the rows at their next poll")]
    public static partial void NoticeFailed(ILogger logger, string error);
}
