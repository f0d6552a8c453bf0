using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StChat.Nats;
using StChat.Nats.JetStream;

namespace StChat.Ingest;

/// <summary>
/// Catalogues the feeds: fetch a batch from the durable pull consumer, decode it, store it in one transaction, and
/// only then acknowledge it. Every failure before the commit leaves the batch unacknowledged, so the broker hands it
/// out again; every repeat after the commit is absorbed by the (stream, stream_seq) key. Together that is
/// exactly-once in the catalogue with at-least-once delivery underneath.
/// </summary>
internal sealed partial class IngestWorker(
    NatsConnection connection,
    CatalogueWriter writer,
    StreamIncarnation incarnation,
    IOptions<IngestOptions> options,
    ILogger<IngestWorker> logger) : BackgroundService
{
    // Acks and naks are fire-and-forget publishes; one flush per batch bounds how long shutdown waits for them.
    private static readonly TimeSpan AckFlushTimeout = TimeSpan.FromSeconds(5);

    private readonly IngestOptions _options = options.Value;
    private readonly NatsJSContext _js = new(connection);
    // The batch fetched while another is being stored, published once its fetch is complete so that the store's +WPI
    // during a database outage covers it too: its AckWait runs while it waits.
    private IngestBatch? _waiting;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        connection.ConnectionDisconnected += OnDisconnected;
        connection.ConnectionOpened += OnOpened;
        var progress = new IngestProgress(logger, _options.ProgressInterval);
        var current = new IngestBatch(_options.BatchSize);
        var next = new IngestBatch(_options.BatchSize);
        try
        {
            await EnsureStreamAndConsumerAsync(stoppingToken);
            var fetchBackoff = new RetryBackoff(_options.RetryMinDelay, _options.RetryMaxDelay);
            while (!stoppingToken.IsCancellationRequested)
            {
                Exception? fetchError = null;
                if (current.Messages.Count > 0)
                {
                    fetchError = await StoreWhileFetchingAsync(current, next, progress, stoppingToken);
                    (current, next) = (next, current);
                    next.Clear();
                }

                if (fetchError is null && current.Messages.Count == 0)
                {
                    fetchError = await FetchAsync(current, waitForFirst: true, stoppingToken);
                }

                if (fetchError is null)
                {
                    fetchBackoff.Reset();
                }
                else
                {
                    // What arrived before the error is stored first, as it would have been without one.
                    if (current.Messages.Count > 0)
                    {
                        await StoreAndAcknowledgeAsync(current, progress, stoppingToken);
                        current.Clear();
                    }

                    var delay = fetchBackoff.NextDelay();
                    logger.LogWarning(
                        "Fetching from stream {Stream} consumer {Consumer} failed (attempt {Attempt}): {Error}; retrying in {Delay:0.0} s",
                        _options.Stream, _options.Consumer, fetchBackoff.Attempt, fetchError.Message, delay.TotalSeconds);
                    await Task.Delay(delay, stoppingToken);

                    // The stream or consumer may have been deleted or the server replaced; put them back.
                    if (fetchError is NatsJSException)
                    {
                        await EnsureStreamAndConsumerAsync(stoppingToken);
                    }
                }

                progress.LogIfDue();
            }

            await GiveBackAsync(current, "the worker is stopping");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // A batch fetched but not yet handed to a store; the store and the fetch give back their own.
            await GiveBackAsync(current, "the worker is stopping");
            logger.LogInformation("Ingest stopping");
        }
        finally
        {
            connection.ConnectionDisconnected -= OnDisconnected;
            connection.ConnectionOpened -= OnOpened;
            logger.LogInformation(
                "Ingest totals: {Messages} consumed, {Stored} stored, {Rejected} rejected, {Redelivered} redelivered, " +
                "{AlreadyStored} already stored",
                progress.Messages, progress.Stored, progress.Rejected, progress.Redelivered, progress.AlreadyStored);
        }
    }

    // Stores `current` and, when the broker reported more messages behind it, fetches `next` meanwhile, so the
    // broker round trip and the decoding overlap the database's. One store is in flight at a time: `next` is stored
    // only after `current` committed and was acknowledged, which keeps the per-batch ordering of the sequential loop.
    private async Task<Exception?> StoreWhileFetchingAsync(
        IngestBatch current, IngestBatch next, IngestProgress progress, CancellationToken stoppingToken)
    {
        var store = StoreAndAcknowledgeAsync(current, progress, stoppingToken);
        Exception? fetchError = null;
        if (current.Pending > 0)
        {
            try
            {
                fetchError = await FetchAsync(next, waitForFirst: false, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // The fetch gave back what it had; the store gives back or acknowledges its own batch.
                await store;
                throw;
            }

            Volatile.Write(ref _waiting, next);
        }

        try
        {
            await store;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await GiveBackAsync(next, "the worker is stopping before the batch fetched behind was stored");
            throw;
        }
        finally
        {
            Volatile.Write(ref _waiting, null);
        }

        // Nothing was waiting when `current` was fetched: fetch now what arrived while it was stored.
        if (fetchError is null && next.Messages.Count == 0)
        {
            fetchError = await FetchAsync(next, waitForFirst: true, stoppingToken);
        }

        return fetchError;
    }

    // Fills and decodes one batch. Sizing follows the backlog the broker reports instead of a fixed batch: the first
    // request is no_wait for up to BatchSize, which returns at once with what the consumer has, a full batch when the
    // backlog is deep and the few that arrived during the last store when it is shallow. Only when that finds nothing
    // (and the caller has nothing else to do) does a request wait, for one message and up to FetchExpires, so a
    // message arriving into an idle stream is stored at once rather than when a batch fills or the request expires.
    // A broker error ends the batch early and is returned, so that what did arrive is still stored; shutdown gives
    // the collected messages back to the broker and ends the loop.
    private async Task<Exception?> FetchAsync(IngestBatch batch, bool waitForFirst, CancellationToken stoppingToken)
    {
        batch.ReservedSince = Stopwatch.GetTimestamp();
        var error = await RequestAsync(batch, new NatsJSFetchOpts { MaxMsgs = _options.BatchSize, NoWait = true }, stoppingToken);
        if (error is null && waitForFirst && batch.Messages.Count == 0)
        {
            error = await RequestAsync(
                batch, new NatsJSFetchOpts { MaxMsgs = 1, Expires = _options.FetchExpires }, stoppingToken);
        }

        batch.Decode();
        return error;
    }

    private async Task<Exception?> RequestAsync(IngestBatch batch, NatsJSFetchOpts fetchOpts, CancellationToken stoppingToken)
    {
        // The server ends a pull request at Expires (a no_wait one at once); the client-side guard only matters if the
        // reply never comes (a connection lost mid-fetch).
        var limit = _options.FetchExpires * 2 + TimeSpan.FromSeconds(5);
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        guard.CancelAfter(limit);
        try
        {
            await foreach (var msg in _js.FetchAsync(_options.Stream, _options.Consumer, fetchOpts, guard.Token))
            {
                batch.Messages.Add(msg);
            }

            return null;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await GiveBackAsync(batch, "the worker is stopping");
            throw;
        }
        catch (OperationCanceledException e)
        {
            return new TimeoutException($"the fetch did not end within {limit}", e);
        }
        catch (NatsException e)
        {
            return e;
        }
    }

    private async Task StoreAndAcknowledgeAsync(IngestBatch batch, IngestProgress progress, CancellationToken stoppingToken)
    {
        var rejectRows = batch.Rows.Rejects.Count;
        var decodedRows = batch.Rows.SportEvents.Count + batch.Rows.Executions.Count;
        var written = await StoreWithRetryAsync(batch, stoppingToken);

        await AcknowledgeAsync(batch);
        progress.Record(batch.Messages.Count, batch.Redelivered, written, decodedRows, rejectRows);
        if (written.Rejects > 0)
        {
            logger.LogWarning("{Count} message(s) could not be decoded and were stored in feed_rejects; first: {Error}",
                written.Rejects, batch.Rows.Rejects[0].Error);
        }
    }

    // Retries the same batch until it commits. The broker keeps the batch reserved for us (AckWait is extended with
    // +WPI while we wait, for the batch fetched behind it too), so a long database outage does not turn into a
    // redelivery storm afterwards.
    private async Task<CatalogueWriteResult> StoreWithRetryAsync(IngestBatch batch, CancellationToken stoppingToken)
    {
        var backoff = new RetryBackoff(_options.RetryMinDelay, _options.RetryMaxDelay);
        var failures = new RepeatedFailureGate(StoreFailureReportInterval);
        while (true)
        {
            try
            {
                var written = await writer.WriteAsync(_options.Stream, batch.Rows, stoppingToken);
                if (backoff.Attempt > 0)
                {
                    logger.LogInformation("PostgreSQL is back; stored the batch of {Count} after {Attempts} failed attempt(s)",
                        batch.Messages.Count, backoff.Attempt);
                }

                return written;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                await GiveBackAsync(batch, "the worker is stopping before the batch was stored");
                throw;
            }
            catch (NpgsqlException e)
            {
                var delay = backoff.NextDelay();
                LogStoreFailure(e, batch.Messages.Count, failures, backoff.Attempt, delay);

                if (Stopwatch.GetElapsedTime(batch.ReservedSince) + delay >= _options.AckWait / 2)
                {
                    await SignalInProgressAsync(batch);
                    if (Volatile.Read(ref _waiting) is { } waiting)
                    {
                        await SignalInProgressAsync(waiting);
                    }
                }

                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    await GiveBackAsync(batch, "the worker is stopping while PostgreSQL is unavailable");
                    throw;
                }
            }
        }
    }

    private void OnDisconnected(object? sender, NatsEventArgs e) =>
        logger.LogWarning("NATS connection lost ({Message}); reconnecting", e.Message);

    private void OnOpened(object? sender, NatsEventArgs e) =>
        logger.LogInformation("NATS connection open ({Message})", e.Message);
}
