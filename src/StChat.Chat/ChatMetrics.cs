using System.Diagnostics.Metrics;
using StChat.Chat.Accounts;

namespace StChat.Chat;

/// <summary>
/// The chat server's instruments, on the meter <c>StChat.Chat</c>. Tags are built once, so recording allocates nothing.
/// </summary>
public sealed class ChatMetrics
{
    public const string MeterName = "StChat.Chat";

    private const string ActionTag = "stchat.chat.action";
    private const string ReasonTag = "stchat.chat.reason";

    // A group commit is a few milliseconds, a local fan-out microseconds; outages last seconds.
    private static readonly IReadOnlyList<double> DurationBuckets =
        [0.00001, 0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly KeyValuePair<string, object?>[] ActionTags =
        [.. Enum.GetValues<ChatAction>().Select(a => new KeyValuePair<string, object?>(ActionTag, ChatEvent.ActionName(a)))];

    private static readonly KeyValuePair<string, object?> QueueFull = new(ReasonTag, "queue_full");
    private static readonly KeyValuePair<string, object?> SendTimeout = new(ReasonTag, "send_timeout");

    private readonly UpDownCounter<long> _connections;
    private readonly UpDownCounter<long> _subscriptions;
    private readonly Counter<long> _committed;
    private readonly Histogram<double> _commitDuration;
    private readonly Histogram<double> _fanOutDuration;
    private readonly Counter<long> _slowReaders;
    private readonly Counter<long> _rateLimited;

    internal ChatMetrics(IMeterFactory meterFactory, SessionSockets sessions)
    {
        var meter = meterFactory.Create(MeterName);
        _connections = meter.CreateUpDownCounter<long>("stchat.chat.connections", "{connection}",
            "WebSocket connections open on this node.");
        meter.CreateObservableGauge("stchat.chat.sessions", () => (long)sessions.Count, "{session}",
            "Sign-in sessions with at least one WebSocket open on this node.");
        _subscriptions = meter.CreateUpDownCounter<long>("stchat.chat.conversations.followed", "{conversation}",
            "Conversations followed by the open WebSockets of this node (one per socket and conversation).");
        _committed = meter.CreateCounter<long>("stchat.chat.events.committed", "{event}",
            "Events this node committed to chat_log, by action.");
        _commitDuration = meter.CreateHistogram("stchat.chat.commit.duration", "s",
            "Time to commit a group of chat events to chat_log, retries included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _fanOutDuration = meter.CreateHistogram("stchat.chat.fanout.duration", "s",
            "Time to hand a committed group of events to the send queues of this node's sockets (and to NATS).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _slowReaders = meter.CreateCounter<long>("stchat.chat.slow_readers.dropped", "{connection}",
            "Connections dropped because the client did not read: its send queue filled up, or a frame was not taken " +
            "within Chat:SendTimeout.");
        _rateLimited = meter.CreateCounter<long>("stchat.chat.frames.rate_limited", "{frame}",
            "Client frames refused by the per-connection rate limit.");
    }

    internal void Connected() => _connections.Add(1);

    internal void Disconnected() => _connections.Add(-1);

    internal void Followed() => _subscriptions.Add(1);

    internal void Unfollowed() => _subscriptions.Add(-1);

    internal void Committed(List<ChatEvent> inserted, double seconds)
    {
        _commitDuration.Record(seconds);
        Span<int> counts = stackalloc int[ActionTags.Length];
        foreach (var e in inserted)
        {
            counts[(int)e.Action]++;
        }

        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] > 0)
            {
                _committed.Add(counts[i], ActionTags[i]);
            }
        }
    }

    internal void FannedOut(double seconds) => _fanOutDuration.Record(seconds);

    internal void SlowReaderDropped(bool sendTimedOut) => _slowReaders.Add(1, sendTimedOut ? SendTimeout : QueueFull);

    internal void RateLimited() => _rateLimited.Add(1);
}
