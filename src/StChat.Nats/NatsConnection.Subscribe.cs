using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using StChat.Nats.Internal;

namespace StChat.Nats;

public sealed partial class NatsConnection
{
    /// <summary>
    /// Subscribes to <paramref name="subject"/> (wildcards allowed), optionally as a member of a queue group.
    /// Messages arrive in <see cref="NatsSubscription.Msgs"/>.
    /// </summary>
    public async ValueTask<NatsSubscription> SubscribeCoreAsync(string subject, string? queueGroup = null, NatsSubOpts? opts = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        if (opts?.MaxMsgs is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(opts), "NatsSubOpts.MaxMsgs must be positive.");
        }

        var capacity = opts?.ChannelCapacity ?? Opts.SubPendingChannelCapacity;
        if (capacity <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(opts), "The subscription channel capacity must be positive.");
        }

        var bytesLimit = opts?.PendingBytesLimit ?? Opts.SubPendingBytesLimit;
        if (bytesLimit <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(opts), "The subscription pending bytes limit must be positive.");
        }

        await ConnectAsync(ct);
        var sid = Interlocked.Increment(ref _nextSid);
        var sub = new NatsSubscription(this, sid, subject, queueGroup, opts?.MaxMsgs, capacity, bytesLimit);
        _subs[sid] = sub;
        try
        {
            // Written even while reconnecting: the server ignores a repeated SUB for a sid it already has.
            _writer.Subscribe(subject, queueGroup, sid, opts?.MaxMsgs);
        }
        catch
        {
            _subs.TryRemove(sid, out _);
            sub.Complete();
            throw;
        }

        return sub;
    }

    /// <summary>Subscribes and yields messages until <paramref name="ct"/> is cancelled or the subscription ends.</summary>
    public async IAsyncEnumerable<NatsMsg> SubscribeAsync(string subject, string? queueGroup = null, NatsSubOpts? opts = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var sub = await SubscribeCoreAsync(subject, queueGroup, opts, ct);
        await using (sub)
        {
            await foreach (var msg in sub.Msgs.ReadAllAsync(ct))
            {
                yield return msg;
            }
        }
    }

    internal ValueTask UnsubscribeAsync(NatsSubscription subscription, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (_subs.TryRemove(new KeyValuePair<int, NatsSubscription>(subscription.Sid, subscription)))
        {
            subscription.Complete();
            if (!IsDisposed)
            {
                _writer.Unsubscribe(subscription.Sid);
            }
        }

        return default;
    }

    // Runs on the read loop only, so each subscription sees messages in wire order.
    private void Deliver(int sid, in NatsMsg msg)
    {
        if (sid == _inboxSid)
        {
            CompleteRequest(msg);
            return;
        }

        if (!_subs.TryGetValue(sid, out var sub))
        {
            // Late message for a subscription already gone on our side; the server learns of the UNSUB shortly.
            return;
        }

        var delivered = sub.TryDeliver(msg, out var reachedMax, out var slowEpisodeStarted);
        if (reachedMax && _subs.TryRemove(new KeyValuePair<int, NatsSubscription>(sid, sub)))
        {
            // The server already auto-unsubscribed after max msgs; only the local side is left to close.
            sub.Complete();
        }

        if (!delivered && slowEpisodeStarted)
        {
            _logger.LogWarning(
                "Slow consumer on NATS subscription '{Subject}' (sid {Sid}): its message or byte limit is reached, messages are being dropped",
                sub.Subject,
                sid);
            Raise(SlowConsumerDetected, new NatsSlowConsumerEventArgs(sub));
        }
    }

    // SUB <subject> [queue] <sid> and UNSUB <sid> <remaining> for every live subscription, sent before buffered publishes.
    private void WriteResubscriptions(System.Buffers.IBufferWriter<byte> buffer)
    {
        if (_inboxSubject is { } inbox)
        {
            ProtocolWriter.WriteSub(buffer, inbox, null, _inboxSid);
        }

        foreach (var sub in _subs.Values)
        {
            if (sub.IsClosed)
            {
                continue;
            }

            ProtocolWriter.WriteSub(buffer, sub.Subject, sub.QueueGroup, sub.Sid);
            if (sub.MaxMsgs is { } max)
            {
                ProtocolWriter.WriteUnsub(buffer, sub.Sid, Math.Max(1, max - sub.Delivered));
            }
        }
    }
}
