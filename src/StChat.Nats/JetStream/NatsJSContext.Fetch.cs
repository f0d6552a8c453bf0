using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StChat.Nats.JetStream.Internal;

namespace StChat.Nats.JetStream;

public sealed partial class NatsJSContext
{
    // Time past Expires the client waits for the server's 408 before it gives up on its own.
    private static readonly TimeSpan FetchGrace = TimeSpan.FromSeconds(2);

    // Room in the inbox channel beyond the batch for status messages, so a full batch is never dropped.
    private const int StatusSlack = 16;

    /// <summary>
    /// Sends one pull request for a batch and yields the messages as they arrive. The fetch ends when
    /// <see cref="NatsJSFetchOpts.MaxMsgs"/> messages were yielded, when the server ends the request
    /// (404 No Messages, 408 Request Timeout, 409 Message Size Exceeds MaxBytes, Exceeded MaxWaiting or
    /// Leadership Change), or when <see cref="NatsJSFetchOpts.Expires"/> plus a grace period passes without
    /// that answer.
    /// The reply inbox is unsubscribed when the enumeration ends, is abandoned or is cancelled.
    /// </summary>
    /// <param name="stream">Stream of the consumer.</param>
    /// <param name="consumer">Name of a pull consumer.</param>
    /// <param name="opts">Batch size, expiry, no-wait and byte limit of the request.</param>
    /// <param name="ct">Cancels the fetch.</param>
    /// <exception cref="NatsJSApiException">
    /// The server never answered and the consumer or stream turns out not to exist (err_code 10014 or 10059).
    /// </exception>
    /// <exception cref="NatsJSException">
    /// The consumer was deleted during the fetch (409 Consumer Deleted), nothing serves it (no responders), or the
    /// server refused the request as one it will always refuse (400, 409 Exceeded MaxRequest..., Consumer is push based).
    /// </exception>
    public async IAsyncEnumerable<NatsJSMsg> FetchAsync(
        string stream,
        string consumer,
        NatsJSFetchOpts opts,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        ApiNames.Validate(stream, nameof(stream), "stream");
        ApiNames.Validate(consumer, nameof(consumer), "consumer");
        var body = JsonSerializer.SerializeToUtf8Bytes(ToPullRequest(opts), JetStreamJsonContext.Default.PullRequest);
        var clientTimeout = opts.NoWait ? _requestTimeout : opts.Expires + FetchGrace;

        var inbox = _connection.NewInbox();
        // The inbox must hold a whole batch: the batch size (and MaxBytes when set) already bounds it, not a byte limit.
        var subOpts = new NatsSubOpts { ChannelCapacity = opts.MaxMsgs + StatusSlack, PendingBytesLimit = long.MaxValue };
        await using var subscription = await _connection.SubscribeCoreAsync(inbox, opts: subOpts, ct: ct);
        await _connection.PublishAsync($"{_apiPrefix}.CONSUMER.MSG.NEXT.{stream}.{consumer}", body, replyTo: inbox, ct: ct);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(clientTimeout);
        var yielded = 0;
        var answered = false;
        while (yielded < opts.MaxMsgs)
        {
            if (await ReceiveAsync(subscription.Msgs, deadline.Token, ct) is not { } msg)
            {
                if (!answered && deadline.IsCancellationRequested)
                {
                    // nats-server 2.9 drops a pull request for a missing consumer without a word;
                    // asking for the consumer turns that silence into "consumer not found".
                    await GetConsumerAsync(stream, consumer, ct);
                }

                yield break;
            }

            answered = true;
            if (msg.Headers is { Code: > 0 } status)
            {
                if (EndsFetch(status, stream, consumer))
                {
                    yield break;
                }

                continue;
            }

            yielded++;
            yield return new NatsJSMsg(msg, _connection, _requestTimeout);
        }
    }

    internal static PullRequest ToPullRequest(NatsJSFetchOpts opts)
    {
        ArgumentNullException.ThrowIfNull(opts);
        if (opts.MaxMsgs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(opts), opts.MaxMsgs, "MaxMsgs must be at least 1.");
        }

        if (!opts.NoWait && opts.Expires <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(opts), opts.Expires, "Expires must be positive unless NoWait is set.");
        }

        if (opts.MaxBytes is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(opts), opts.MaxBytes, "MaxBytes must be positive when set.");
        }

        // No expires with no_wait: nats-server 2.9 then holds the request open until it expires.
        return new PullRequest
        {
            Batch = opts.MaxMsgs,
            Expires = opts.NoWait ? null : NanosecondsConverter.ToNanoseconds(opts.Expires),
            NoWait = opts.NoWait ? true : null,
            MaxBytes = opts.MaxBytes,
        };
    }

    // Waits for the next message; null when the inbox completed or the client-side deadline passed.
    private static async ValueTask<NatsMsg?> ReceiveAsync(ChannelReader<NatsMsg> reader, CancellationToken deadline, CancellationToken ct)
    {
        try
        {
            while (await reader.WaitToReadAsync(deadline))
            {
                if (reader.TryRead(out var msg))
                {
                    return msg;
                }
            }

            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    // status = "NATS/1.0" SP code [SP description]
    // 100 Idle Heartbeat keeps the request alive. 404 No Messages, 408 Request Timeout and the 409s that only
    // end this one request (Message Size Exceeds MaxBytes, Exceeded MaxWaiting, Leadership Change, ...) end the
    // fetch quietly. 409s that every retry would get again, 400 and 503 are errors the caller must see.
    private bool EndsFetch(NatsHeaders status, string stream, string consumer)
    {
        var description = status.Description ?? "";
        switch (status.Code)
        {
            case 100:
                return false;
            case 404 or 408:
                return true;
            case 409 when !IsPermanentConflict(description):
                _logger.LogDebug("Pull request to consumer {Consumer} on stream {Stream} ended: 409 {Description}", consumer, stream, description);
                return true;
            case 503:
                throw new NatsJSException(
                    $"Nothing answered the pull request to consumer {consumer} on stream {stream}: " +
                    "the consumer does not exist, or JetStream is not enabled.");
            default:
                throw new NatsJSException(
                    $"The pull request to consumer {consumer} on stream {stream} failed: {status.Code} {description}");
        }
    }

    private static bool IsPermanentConflict(string description) =>
        description.StartsWith("Consumer Deleted", StringComparison.OrdinalIgnoreCase)
        || description.StartsWith("Consumer is push based", StringComparison.OrdinalIgnoreCase)
        || description.StartsWith("Exceeded MaxRequest", StringComparison.OrdinalIgnoreCase);
}
