using System.Threading.Channels;
using StChat.Nats.Internal;

namespace StChat.Nats;

/// <summary>
/// A core NATS subscription. Messages arrive in a channel bounded by count and by bytes; when the reader falls
/// behind, new messages are dropped and <see cref="NatsConnection.SlowConsumerDetected"/> is raised.
/// </summary>
public sealed class NatsSubscription : IAsyncDisposable
{
    private readonly NatsConnection _connection;
    private readonly Channel<NatsMsg> _channel;
    private readonly SubscriptionReader _reader;
    private readonly long _bytesLimit;

    // Bytes of the messages in the channel: added by the read loop on delivery, given back by SubscriptionReader.
    private long _pendingBytes;
    private int _delivered;
    private int _slow;
    private int _closed;

    internal NatsSubscription(NatsConnection connection, int sid, string subject, string? queueGroup, int? maxMsgs, int capacity, long bytesLimit)
    {
        _connection = connection;
        Sid = sid;
        Subject = subject;
        QueueGroup = queueGroup;
        MaxMsgs = maxMsgs;
        _channel = Channel.CreateBounded<NatsMsg>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
            SingleReader = false,
        });
        _reader = new SubscriptionReader(_channel.Reader, OnRead);
        _bytesLimit = bytesLimit;
    }

    /// <summary>Subject or wildcard pattern subscribed to.</summary>
    public string Subject { get; }

    /// <summary>Queue group, or null for a plain subscription.</summary>
    public string? QueueGroup { get; }

    /// <summary>
    /// Received messages. Completes when the subscription is unsubscribed, reaches its max messages,
    /// or the connection is disposed.
    /// </summary>
    public ChannelReader<NatsMsg> Msgs => _reader;

    internal int Sid { get; }

    internal int? MaxMsgs { get; }

    internal int Delivered => Volatile.Read(ref _delivered);

    internal bool IsClosed => Volatile.Read(ref _closed) != 0;

    internal long PendingBytes => Interlocked.Read(ref _pendingBytes);

    /// <summary>Stops the subscription on the server and completes <see cref="Msgs"/>.</summary>
    public ValueTask UnsubscribeAsync(CancellationToken ct = default) => _connection.UnsubscribeAsync(this, ct);

    /// <summary>Unsubscribes.</summary>
    public ValueTask DisposeAsync() => UnsubscribeAsync();

    // Called only by the connection's read loop, so delivery order is wire order.
    // Returns false when the message was dropped because the channel is full or holds too many bytes.
    internal bool TryDeliver(in NatsMsg msg, out bool reachedMax, out bool slowEpisodeStarted)
    {
        reachedMax = false;
        slowEpisodeStarted = false;
        if (IsClosed)
        {
            return true;
        }

        var count = Interlocked.Increment(ref _delivered);
        var size = msg.Size;

        // Counted before the write so a reader that takes the message at once cannot drive the count below zero.
        var queued = Interlocked.Add(ref _pendingBytes, size) - size;
        if ((queued > 0 && queued + size > _bytesLimit) || !_channel.Writer.TryWrite(msg))
        {
            Interlocked.Add(ref _pendingBytes, -size);
            slowEpisodeStarted = Interlocked.Exchange(ref _slow, 1) == 0;
            reachedMax = MaxMsgs is { } max1 && count >= max1;
            return false;
        }

        Volatile.Write(ref _slow, 0);
        reachedMax = MaxMsgs is { } max && count >= max;
        return true;
    }

    private void OnRead(int size) => Interlocked.Add(ref _pendingBytes, -size);

    // Completes the channel once; messages already in it stay readable.
    internal bool Complete(Exception? error = null)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }

        _channel.Writer.TryComplete(error);
        return true;
    }
}
