using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;
using StChat.Contracts;
using StChat.Messaging;

namespace StChat.Ingest;

/// <summary>
/// The broker side of the worker: creates or updates the stream and the durable pull consumer, checks the stream
/// against the catalogue, and fills batches from the consumer.
/// </summary>
internal sealed class FeedConsumer(
    INatsJSContext js,
    StreamIncarnation incarnation,
    IngestMetrics metrics,
    IOptions<IngestOptions> options,
    ILogger<FeedConsumer> logger)
{
    private readonly IngestOptions _options = options.Value;
    private readonly Retry _retry = new(options.Value.RetryMinDelay, options.Value.RetryMaxDelay);
    private INatsJSConsumer? _consumer;

    internal static StreamConfig StreamConfigFor(IngestOptions options) => new(options.Stream, [.. FeedSubjects.All])
    {
        Storage = StreamConfigStorage.File,
        Retention = StreamConfigRetention.Limits,
        MaxAge = options.MaxAge,
        MaxBytes = options.MaxBytes,
        MaxMsgs = options.MaxMsgs,
        DuplicateWindow = options.DuplicateWindow,

        // Sent on every start, so a changed Ingest:Replicas scales the existing stream (its consumers follow it).
        NumReplicas = options.Replicas,
    };

    // Named and durable, with no filter: one consumer reads both subjects in stream order. (An unnamed consumer would
    // be ephemeral, and one with a filter but no name would be named after the filter.)
    internal static ConsumerConfig ConsumerConfigFor(IngestOptions options) => new(options.Consumer)
    {
        AckPolicy = ConsumerConfigAckPolicy.Explicit,
        AckWait = options.AckWait,
        MaxAckPending = options.MaxAckPending,
        DeliverPolicy = ConsumerConfigDeliverPolicy.All,
    };

    /// <summary>
    /// Creates or updates the stream and the consumer. The broker or PostgreSQL being away is retried; the broker
    /// refusing the configuration, or a recreated stream, is not, because only a person can fix it.
    /// </summary>
    public Task EnsureAsync(CancellationToken ct) => _retry.UntilDoneAsync(
        async ct =>
        {
            await EnsureOnceAsync(ct);
            return true;
        },
        IsOutage,
        (e, attempt, delay) =>
        {
            var hint = e is NatsNoRespondersException
                ? " (no JetStream answered: is nats-server running with JetStream enabled, `nats-server -js`?)"
                : "";
            Log.SetupFailed(logger, _options.Stream, _options.Consumer, attempt, e.Message + hint, delay.TotalSeconds);
            return Task.CompletedTask;
        },
        ct);

    /// <summary>
    /// Fills and decodes one batch. Sizing follows the backlog instead of a fixed batch: the first request is no_wait
    /// for up to BatchSize, which returns at once with what the consumer has, a full batch when the backlog is deep
    /// and the few that arrived during the last store when it is shallow. Only when that finds nothing (and the caller
    /// has nothing else to do) does a request wait, for one message and up to FetchExpires, so a message arriving into
    /// an idle stream is stored at once. A failure after some messages arrived ends the batch early so that they are
    /// stored; a failure before any is retried, with the stream and consumer put back in case they were removed.
    /// </summary>
    public async Task FetchAsync(IngestBatch batch, bool waitForFirst, CancellationToken ct)
    {
        await _retry.UntilDoneAsync(
            async ct =>
            {
                if (_consumer is null)
                {
                    await EnsureOnceAsync(ct);
                }

                batch.ReservedSince = Stopwatch.GetTimestamp();
                await RequestAsync(batch, new NatsJSFetchOpts { MaxMsgs = _options.BatchSize }, noWait: true, ct);
                if (waitForFirst && batch.Messages.Count == 0)
                {
                    await RequestAsync(batch, new NatsJSFetchOpts { MaxMsgs = 1, Expires = _options.FetchExpires }, noWait: false, ct);
                }

                return true;
            },
            IsOutage,
            (e, attempt, delay) =>
            {
                _consumer = null;
                Log.FetchFailed(logger, _options.Stream, _options.Consumer, attempt, e.Message, delay.TotalSeconds);
                return Task.CompletedTask;
            },
            ct);
        batch.Decode();
        metrics.Fetched(batch.Pending);
    }

    // The broker or PostgreSQL away for now. A JetStream call made while the client reconnects is cancelled once the
    // command timeout passes (PublishTimeoutOnDisconnected); a real stop is told apart by the retry's own token.
    private static bool IsOutage(Exception e) =>
        e is NatsException or TimeoutException or OperationCanceledException or NpgsqlException;

    private async Task EnsureOnceAsync(CancellationToken ct)
    {
        try
        {
            var stream = await js.CreateOrUpdateStreamAsync(StreamConfigFor(_options), ct);
            await incarnation.CheckAsync(_options.Stream, stream.Info.Created, ct);
            _consumer = await js.CreateOrUpdateConsumerAsync(_options.Stream, ConsumerConfigFor(_options), ct);
        }
        catch (NatsJSApiException e) when (e.Error.Code != 503)
        {
            // 503 is JetStream being unavailable for now; any other API error is the broker saying no to our settings.
            throw new InvalidOperationException(
                $"JetStream refused stream '{_options.Stream}' or consumer '{_options.Consumer}': {e.Error.Description} " +
                $"(code {e.Error.Code}, err_code {e.Error.ErrCode}). " + RefusalRemedy(e.Error.ErrCode), e);
        }

        Log.Consuming(logger, _options.Stream, string.Join(", ", FeedSubjects.All), _options.Replicas, _options.Consumer,
            _options.BatchSize, WorkerIdentity.Id);
    }

    private string RefusalRemedy(int errCode) => errCode switch
    {
        // Replicas > 1 on a server that is not in a cluster.
        10074 => $"Ingest:Replicas is {_options.Replicas}, but this nats-server is not part of a JetStream cluster; " +
            "set Ingest:Replicas=1 (the default) or point Nats:Url at a cluster.",

        // No placement for the replicas: fewer JetStream servers in the cluster (or online) than Ingest:Replicas.
        10005 => $"Ingest:Replicas is {_options.Replicas}: the cluster needs that many JetStream servers, all online, " +
            "to create the stream. Start the missing servers or lower Ingest:Replicas.",
        _ => "If the existing stream or consumer was created with other settings, change Ingest:Stream / " +
            "Ingest:Consumer or delete them with `nats stream rm` / `nats consumer rm`; if another stream already " +
            "captures the feed subjects, remove that stream.",
    };

    private async Task RequestAsync(IngestBatch batch, NatsJSFetchOpts fetchOpts, bool noWait, CancellationToken ct)
    {
        // The server ends a pull request at Expires (a no_wait one at once); the guard only matters if the reply never
        // comes, a connection lost mid-fetch say.
        var limit = _options.FetchExpires * 2 + TimeSpan.FromSeconds(5);
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(limit);
        try
        {
            var messages = noWait
                ? _consumer!.FetchNoWaitAsync<NatsMemoryOwner<byte>>(fetchOpts, cancellationToken: guard.Token)
                : _consumer!.FetchAsync<NatsMemoryOwner<byte>>(fetchOpts, cancellationToken: guard.Token);
            await foreach (var msg in messages)
            {
                batch.Messages.Add(msg);
            }
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            if (batch.Messages.Count == 0)
            {
                throw new TimeoutException($"the fetch did not end within {limit}", e);
            }

            EndEarly(batch, e);
        }
        catch (NatsException e) when (batch.Messages.Count > 0)
        {
            EndEarly(batch, e);
        }
    }

    private void EndEarly(IngestBatch batch, Exception e)
    {
        _consumer = null;
        Log.FetchEndedEarly(logger, batch.Messages.Count, e.Message);
    }
}
