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
    private readonly List<NatsJSMsg> _messages = new(options.Value.BatchSize);
    private readonly FeedBatch _batch = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        connection.ConnectionDisconnected += OnDisconnected;
        connection.ConnectionOpened += OnOpened;
        var progress = new IngestProgress(logger, _options.ProgressInterval);
        try
        {
            await EnsureStreamAndConsumerAsync(stoppingToken);
            var fetchBackoff = new RetryBackoff(_options.RetryMinDelay, _options.RetryMaxDelay);
            while (!stoppingToken.IsCancellationRequested)
            {
                _messages.Clear();
                var fetchError = await FetchAsync(stoppingToken);
                if (_messages.Count > 0)
                {
                    await StoreAndAcknowledgeAsync(progress, stoppingToken);
                }

                if (fetchError is null)
                {
                    fetchBackoff.Reset();
                }
                else
                {
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
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
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

    // Collects one batch into _messages. A broker error ends the batch early and is returned, so that what did arrive
    // is still stored; shutdown gives the collected messages back to the broker and ends the loop.
    private async Task<Exception?> FetchAsync(CancellationToken stoppingToken)
    {
        var fetchOpts = new NatsJSFetchOpts { MaxMsgs = _options.BatchSize, Expires = _options.FetchExpires };

        // The server ends a pull request at Expires; the client-side guard only matters if the reply never comes
        // (a connection lost mid-fetch).
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        guard.CancelAfter(_options.FetchExpires * 2 + TimeSpan.FromSeconds(5));
        try
        {
            await foreach (var msg in _js.FetchAsync(_options.Stream, _options.Consumer, fetchOpts, guard.Token))
            {
                _messages.Add(msg);
            }

            return null;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await GiveBackAsync("the worker is stopping");
            throw;
        }
        catch (OperationCanceledException e)
        {
            return new TimeoutException($"the fetch did not end within {_options.FetchExpires * 2 + TimeSpan.FromSeconds(5)}", e);
        }
        catch (NatsException e)
        {
            return e;
        }
    }

    private async Task StoreAndAcknowledgeAsync(IngestProgress progress, CancellationToken stoppingToken)
    {
        _batch.Clear();
        var redelivered = 0;
        List<NatsJSMsg>? unusable = null;
        foreach (var msg in _messages)
        {
            if (msg.Metadata is not { } metadata)
            {
                (unusable ??= []).Add(msg);
                continue;
            }

            if (metadata.NumDelivered > 1)
            {
                redelivered++;
            }

            FeedDecoder.Decode(msg.Subject, msg.Data, metadata.StreamSequence, metadata.Timestamp, _batch);
        }

        var rejectRows = _batch.Rejects.Count;
        var decodedRows = _batch.SportEvents.Count + _batch.Executions.Count;
        var written = await StoreWithRetryAsync(stoppingToken);

        await AcknowledgeAsync(unusable);
        progress.Record(_messages.Count, redelivered, written, decodedRows, rejectRows);
        if (written.Rejects > 0)
        {
            logger.LogWarning("{Count} message(s) could not be decoded and were stored in feed_rejects; first: {Error}",
                written.Rejects, _batch.Rejects[0].Error);
        }
    }

    // Retries the same batch until it commits. The broker keeps the batch reserved for us (AckWait is extended with
    // +WPI while we wait), so a long database outage does not turn into a redelivery storm afterwards.
    private async Task<CatalogueWriteResult> StoreWithRetryAsync(CancellationToken stoppingToken)
    {
        var backoff = new RetryBackoff(_options.RetryMinDelay, _options.RetryMaxDelay);
        var reservedSince = Stopwatch.GetTimestamp();
        var failures = new RepeatedFailureGate(StoreFailureReportInterval);
        while (true)
        {
            try
            {
                var written = await writer.WriteAsync(_options.Stream, _batch, stoppingToken);
                if (backoff.Attempt > 0)
                {
                    logger.LogInformation("PostgreSQL is back; stored the batch of {Count} after {Attempts} failed attempt(s)",
                        _messages.Count, backoff.Attempt);
                }

                return written;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                await GiveBackAsync("the worker is stopping before the batch was stored");
                throw;
            }
            catch (NpgsqlException e)
            {
                var delay = backoff.NextDelay();
                LogStoreFailure(e, failures, backoff.Attempt, delay);

                if (Stopwatch.GetElapsedTime(reservedSince) + delay >= _options.AckWait / 2)
                {
                    await SignalInProgressAsync();
                    reservedSince = Stopwatch.GetTimestamp();
                }

                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    await GiveBackAsync("the worker is stopping while PostgreSQL is unavailable");
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
