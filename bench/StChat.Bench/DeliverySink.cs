using System.Collections.Concurrent;
using System.Diagnostics;

namespace StChat.Bench;

// Where every load client reports what it received: a frame count, the send->receive latency of each marked
// message ("t=<Stopwatch timestamp>|" in its text) and, for broadcast rounds, when the last member received it.
// On /ws it also counts acks (a message committed), "subscribed" frames and errors, keeping the last error's text.
internal sealed class DeliverySink
{
    private static readonly byte[] Marker = "t="u8.ToArray();

    private readonly ConcurrentDictionary<long, Broadcast> _broadcasts = new();
    private long _frames;
    private long _acks;
    private long _subscribed;
    private long _errors;
    private string? _lastError;

    public LatencyHistogram Latency { get; private set; } = new();

    public long Frames => Interlocked.Read(ref _frames);

    public long Acks => Interlocked.Read(ref _acks);

    public long Subscribed => Interlocked.Read(ref _subscribed);

    public long Errors => Interlocked.Read(ref _errors);

    public string? LastError => Volatile.Read(ref _lastError);

    public void ResetLatency() => Latency = new LatencyHistogram();

    public Broadcast Track(long sentTimestamp, int receivers)
    {
        var broadcast = new Broadcast(sentTimestamp, receivers);
        _broadcasts[sentTimestamp] = broadcast;
        return broadcast;
    }

    public void Untrack(long sentTimestamp) => _broadcasts.TryRemove(sentTimestamp, out _);

    public void OnFrame(ReadOnlySpan<byte> frame)
    {
        Interlocked.Increment(ref _frames);
        // The server writes "action" first in every frame, so a prefix tells the kind without parsing.
        if (frame.StartsWith("{\"action\":\"ack\""u8))
        {
            Interlocked.Increment(ref _acks);
            return;
        }

        if (frame.StartsWith("{\"action\":\"subscribed\""u8))
        {
            Interlocked.Increment(ref _subscribed);
            return;
        }

        if (frame.StartsWith("{\"action\":\"error\""u8))
        {
            Interlocked.Increment(ref _errors);
            Volatile.Write(ref _lastError, System.Text.Encoding.UTF8.GetString(frame));
            return;
        }

        var at = frame.IndexOf(Marker);
        if (at < 0)
        {
            return;
        }

        long sent = 0;
        for (var i = at + Marker.Length; i < frame.Length && frame[i] is >= (byte)'0' and <= (byte)'9'; i++)
        {
            sent = (sent * 10) + (frame[i] - '0');
        }

        var now = Stopwatch.GetTimestamp();
        Latency.Record(Stopwatch.GetElapsedTime(sent, now));
        if (_broadcasts.TryGetValue(sent, out var broadcast))
        {
            broadcast.Received(now);
        }
    }

    public static byte[] Message(bool stchat, long sentTimestamp) =>
        System.Text.Encoding.UTF8.GetBytes(stchat
            ? $"{{\"message\":\"bench t={sentTimestamp}|\"}}"
            : $"{{\"action\":\"message\",\"message\":\"bench t={sentTimestamp}|\"}}");
}
