using System.Collections.Concurrent;
using System.Globalization;
using StChat.Nats.Internal;

namespace StChat.Nats;

public sealed partial class NatsConnection
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource<NatsMsg>> _requests = new();
    private readonly Lock _inboxLock = new();
    private string? _inboxPrefix;
    private string? _inboxSubject;
    private volatile int _inboxSid = -1;
    private long _nextRequestId;

    /// <summary>
    /// Publishes a request with a unique reply subject and returns the first reply. All requests share one
    /// wildcard inbox subscription.
    /// </summary>
    /// <exception cref="NatsTimeoutException">No reply within <paramref name="timeout"/> (default <see cref="NatsOpts.RequestTimeout"/>).</exception>
    /// <exception cref="NatsNoRespondersException">Nobody is subscribed to <paramref name="subject"/>.</exception>
    public async ValueTask<NatsMsg> RequestAsync(string subject, ReadOnlyMemory<byte> data = default, NatsHeaders? headers = null, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        await ConnectAsync(ct);
        var prefix = EnsureInbox();
        var id = Interlocked.Increment(ref _nextRequestId);
        var replyTo = string.Concat(prefix, id.ToString(CultureInfo.InvariantCulture));
        var reply = new TaskCompletionSource<NatsMsg>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests[id] = reply;
        try
        {
            PublishCore(subject, replyTo, headers, data.Span);
            var wait = timeout ?? Opts.RequestTimeout;
            NatsMsg msg;
            try
            {
                msg = await reply.Task.WaitAsync(wait, ct);
            }
            catch (TimeoutException)
            {
                throw new NatsTimeoutException($"No reply to the request on '{subject}' within {wait.TotalMilliseconds} ms.");
            }

            if (msg.Headers is { Code: 503 })
            {
                throw new NatsNoRespondersException($"No responders are subscribed to '{subject}'.");
            }

            return msg;
        }
        finally
        {
            _requests.TryRemove(id, out _);
        }
    }

    // One "_INBOX.<nuid>.*" subscription per connection, created on the first request.
    private string EnsureInbox()
    {
        if (_inboxPrefix is { } existing)
        {
            return existing;
        }

        lock (_inboxLock)
        {
            if (_inboxPrefix is null)
            {
                var prefix = $"{Opts.InboxPrefix}.{Nuid.Next()}.";
                var sid = Interlocked.Increment(ref _nextSid);
                _inboxSubject = prefix + "*";
                _inboxSid = sid;
                _writer.Subscribe(_inboxSubject, null, sid, null);
                _inboxPrefix = prefix;
            }

            return _inboxPrefix;
        }
    }

    // Reply subject = <inbox prefix><request id>; anything else on the inbox is a late or foreign reply.
    private void CompleteRequest(in NatsMsg msg)
    {
        var prefix = _inboxPrefix;
        if (prefix is null || !msg.Subject.StartsWith(prefix, StringComparison.Ordinal))
        {
            return;
        }

        if (long.TryParse(msg.Subject.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && _requests.TryRemove(id, out var reply))
        {
            reply.TrySetResult(msg);
        }
    }

    private void FailRequests(Exception error)
    {
        foreach (var id in _requests.Keys)
        {
            if (_requests.TryRemove(id, out var reply))
            {
                reply.TrySetException(error);
            }
        }
    }
}
