using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;
using StChat.Storage;

namespace StChat.Ingest;

/// <summary>
/// Store, then acknowledge: writes a batch in one transaction, retrying until it commits, and only after the commit
/// acknowledges its messages. Until then nothing is acknowledged, so a crash leaves the batch with the broker.
/// </summary>
internal sealed class BatchCommitter(
    CatalogueStore store,
    INatsConnection connection,
    IngestMetrics metrics,
    IOptions<IngestOptions> options,
    ILogger<BatchCommitter> logger)
{
    // Bounds how long acks, +WPIs and naks wait for a connection that is away; a lost ack is only a redelivery.
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(5);

    // The same store failure is repeated in the log at most this often; the retries in between are logged at Debug.
    private static readonly TimeSpan StoreFailureReportInterval = TimeSpan.FromSeconds(30);

    private readonly IngestOptions _options = options.Value;
    private readonly Retry _retry = new(options.Value.RetryMinDelay, options.Value.RetryMaxDelay);
    private readonly AckOpts _ackOpts = new() { DoubleAck = options.Value.DoubleAck };
    private readonly string _noticeSubject = CatalogueNotices.Subject(options.Value.Stream);

    // Shared by the stores in flight, which fail together when the database does: one report per cause, not per store.
    private readonly RepeatedFailureGate _failures = new(StoreFailureReportInterval);
    private IngestBatch? _waiting;

    /// <summary>
    /// The batch fetched behind the ones being committed while every store is busy: its AckWait runs while it waits,
    /// so the +WPI that a commit sends during a database outage covers it too.
    /// </summary>
    public IngestBatch? Waiting
    {
        get => Volatile.Read(ref _waiting);
        set => Volatile.Write(ref _waiting, value);
    }

    public async Task CommitAsync(IngestBatch batch, IngestProgress progress, CancellationToken ct)
    {
        var rejectRows = batch.Rows.Rejects.Count;
        var decodedRows = batch.Rows.SportEvents.Count + batch.Rows.Executions.Count;
        var failed = 0;
        var started = Stopwatch.GetTimestamp();
        CatalogueStoreResult written;
        try
        {
            written = await _retry.UntilDoneAsync(
                ct => WhileHeldAsync(store.WriteAsync(_options.Stream, batch.Rows, ct), batch, ct),
                e => e is NpgsqlException,
                async (e, attempt, delay) =>
                {
                    failed = attempt;
                    LogStoreFailure((NpgsqlException)e, batch.Messages.Count, attempt, delay);

                    // The broker keeps the batch reserved while we wait, so a long outage ends without a redelivery storm.
                    if (Stopwatch.GetElapsedTime(batch.ReservedSince) + delay >= _options.AckWait / 2)
                    {
                        await HoldAsync(batch);
                    }
                },
                ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await GiveBackAsync(batch, failed > 0
                ? "the worker is stopping while PostgreSQL is unavailable"
                : "the worker is stopping before the batch was stored");
            throw;
        }

        var storeSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (failed > 0)
        {
            _failures.Reset();
            Log.StoredAfterFailures(logger, batch.Messages.Count, failed);
        }

        await AcknowledgeAsync(batch);
        await NotifyAsync(batch);
        progress.Record(batch.Messages.Count, batch.Redelivered, written, decodedRows, rejectRows);
        metrics.Committed(batch.Messages.Count, batch.Redelivered, written, storeSeconds);
        if (batch.Newest != default)
        {
            metrics.Lag(DateTimeOffset.UtcNow - batch.Newest);
        }

        if (written.Rejects > 0)
        {
            Log.Rejected(logger, written.Rejects, batch.Rows.Rejects[0].Error);
        }

        batch.Clear();
    }

    // A database that hangs instead of refusing (paused, or behind a network path that drops packets) leaves a statement
    // waiting for as long as the TCP connection lives, with no error to retry on. While the attempt waits, the wait is
    // logged and the batch kept reserved with +WPI every third of AckWait, so a hang of any length ends without a
    // redelivery to another worker and is plain in the log.
    private async Task<T> WhileHeldAsync<T>(Task<T> attempt, IngestBatch batch, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var stalled = false;
        while (await Task.WhenAny(attempt, Task.Delay(_options.AckWait / 3, ct)) != attempt)
        {
            // A stop gives the batch back rather than wait for a server that may never answer; should the abandoned
            // attempt still commit, the redelivered messages are already stored and the key absorbs them.
            ct.ThrowIfCancellationRequested();
            stalled = true;
            Log.StoreStalled(logger, Stopwatch.GetElapsedTime(started).TotalSeconds, batch.Messages.Count);
            await HoldAsync(batch);
        }

        var result = await attempt;
        if (stalled)
        {
            Log.StoredAfterStall(logger, Stopwatch.GetElapsedTime(started).TotalSeconds, batch.Messages.Count);
        }

        return result;
    }

    private async Task HoldAsync(IngestBatch batch)
    {
        await SignalInProgressAsync(batch);
        if (Waiting is { } waiting)
        {
            await SignalInProgressAsync(waiting);
        }
    }

    /// <summary>
    /// -NAK: the broker offers the messages again at once instead of after AckWait. The batch is emptied, so it is
    /// given back once however a shutdown reaches it.
    /// </summary>
    public async Task GiveBackAsync(IngestBatch batch, string reason)
    {
        var count = batch.Messages.Count;
        if (count == 0)
        {
            return;
        }

        Log.GivingBack(logger, count, reason);
        using var timeout = new CancellationTokenSource(AckTimeout);
        try
        {
            foreach (var msg in batch.Messages)
            {
                await msg.NakAsync(cancellationToken: timeout.Token);
            }

            await connection.PingAsync(timeout.Token);
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException or TimeoutException)
        {
            Log.GiveBackFailed(logger, count, e.Message, _options.AckWait);
        }
        finally
        {
            batch.Clear();
        }
    }

    // After the commit: +ACK every stored message, +TERM every reject (it will never decode, so the broker should stop
    // offering it). A lost ack costs a redelivery that the catalogue key absorbs. Without DoubleAck the acks are
    // queued and one ping per batch confirms the server has read them; with it each ack waits for the server's reply,
    // all of the batch's at once.
    private async Task AcknowledgeAsync(IngestBatch batch)
    {
        var rejected = batch.Rows.Rejects.Count == 0 ? null : batch.Rows.Rejects.Select(r => r.StreamSeq).ToHashSet();
        var replies = _options.DoubleAck ? new List<Task>(batch.Messages.Count) : null;
        using var timeout = new CancellationTokenSource(AckTimeout);
        try
        {
            foreach (var msg in batch.Messages)
            {
                if (msg.Metadata is not { } metadata)
                {
                    continue;
                }

                var ack = rejected?.Contains(metadata.Sequence.Stream) == true
                    ? msg.AckTerminateAsync(_ackOpts, timeout.Token)
                    : msg.AckAsync(_ackOpts, timeout.Token);
                if (replies is null)
                {
                    await ack;
                }
                else
                {
                    replies.Add(ack.AsTask());
                }
            }

            if (batch.Unusable is { } unusable)
            {
                Log.Unusable(logger, unusable.Count, unusable[0].Subject, unusable[0].ReplyTo);
                foreach (var msg in unusable)
                {
                    await msg.AckTerminateAsync(cancellationToken: timeout.Token);
                }
            }

            await (replies is null ? connection.PingAsync(timeout.Token).AsTask() : Task.WhenAll(replies));
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException or TimeoutException)
        {
            Log.AckFailed(logger, batch.Messages.Count, e.Message);
        }
    }

    // One notice per batch, after its acks, so that catalogue readers look for a new ack floor at once instead of at
    // their next poll. Best effort: the rows are committed, and a reader that misses the notice finds them anyway.
    private async Task NotifyAsync(IngestBatch batch)
    {
        if (batch.Messages is not [.., { Metadata: { } last }])
        {
            return;
        }

        using var timeout = new CancellationTokenSource(AckTimeout);
        try
        {
            await connection.PublishAsync(_noticeSubject, last.Sequence.Stream, cancellationToken: timeout.Token);
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException or TimeoutException)
        {
            Log.NoticeFailed(logger, e.Message);
        }
    }

    // +WPI restarts the AckWait timer of each message, so the broker does not redeliver a batch we are still storing.
    private async Task SignalInProgressAsync(IngestBatch batch)
    {
        batch.ReservedSince = Stopwatch.GetTimestamp();
        using var timeout = new CancellationTokenSource(AckTimeout);
        try
        {
            foreach (var msg in batch.Messages)
            {
                await msg.AckProgressAsync(cancellationToken: timeout.Token);
            }
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException or TimeoutException)
        {
            Log.InProgressFailed(logger, e.Message);
        }
    }

    // An outage (transient) is a Warning: it heals by itself. Anything else is an Error that says what to change,
    // since only an operator can fix it; the retries go on so that the fix is picked up without a restart.
    private void LogStoreFailure(NpgsqlException e, int count, int attempt, TimeSpan delay)
    {
        var sqlState = (e as PostgresException)?.SqlState;
        if (!_failures.ShouldReport(sqlState + e.Message, out var suppressed))
        {
            Log.StoreFailedAgain(logger, attempt, e.Message, delay.TotalSeconds);
            return;
        }

        var repeats = suppressed > 0 ? $" ({suppressed} more identical failure(s) since the last report)" : "";
        if (PostgresFailures.IsTransient(e))
        {
            Log.StoreFailedTransient(logger, count, attempt, e.Message, delay.TotalSeconds, repeats);
            return;
        }

        var remedy = PostgresErrors.Remedy(e) ?? (PostgresErrors.IsDataError(e)
            ? "PostgreSQL refused a row that could not be set aside in feed_rejects either; check the constraints and " +
              "triggers on feed_rejects"
            : "check the PostgreSQL server log for this error");
        Log.StoreFailed(logger, count, attempt, sqlState ?? "none", e.Message, remedy, _options.RetryMaxDelay.TotalSeconds, repeats);
    }
}
