using System.Threading.Channels;

namespace StChat.Nats;

/// <summary>
/// A core NATS subscription. Messages arrive in a bounded channel; when the reader falls behind,
/// new messages are dropped and <see cref="NatsConnection.SlowConsumerDetected"/> is raised.
/// </summary>
public sealed class NatsSubscription : IAsyncDisposable
{
    private readonly NatsConnection _connection;
    private readonly Channel<NatsMsg> _channel;
    private int _delivered;
    private int _slow;
    private int _closed;

    internal NatsSubscription(NatsConnection connection, int sid, string subject, string? queueGroup, int? maxMsgs, int capacity)
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
    }

    /// <summary>Subject or wildcard pattern subscribed to.</summary>
    public string Subject { get; }

    /// <summary>Queue group, or null for a plain subscription.</summary>
    public string? QueueGroup { get; }

    /// <summary>
    /// Received messages. Completes when the subscription is unsubscribed, reaches its max messages,
    /// or the connection is disposed.
    /// </summary>
    public ChannelReader<NatsMsg> Msgs => _channel.Reader;

    internal int Sid { get; }

    internal int? MaxMsgs { get; }

    internal int Delivered => Volatile.Read(ref _delivered);

    internal bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Stops the subscription on the server and completes <see cref="Msgs"/>.</summary>
    public ValueTask UnsubscribeAsync(CancellationToken ct = default) => _connection.UnsubscribeAsync(this, ct);

    /// <summary>Unsubscribes.</summary>
    public ValueTask DisposeAsync() => UnsubscribeAsync();

    // Called only by the connection's read loop, so delivery order is wire order.
    // Returns false when the message was dropped because the channel is full.
    internal bool TryDeliver(in NatsMsg msg, out bool reachedMax, out bool slowEpisodeStarted)
    {
        reachedMax = false;
        slowEpisodeStarted = false;
        if (IsClosed)
        {
            return true;
        }

        var count = Interlocked.Increment(ref _delivered);
        if (!_channel.Writer.TryWrite(msg))
        {
            slowEpisodeStarted = Interlocked.Exchange(ref _slow, 1) == 0;
            reachedMax = MaxMsgs is { } max1 && count >= max1;
            return false;
        }

        Volatile.Write(ref _slow, 0);
        reachedMax = MaxMsgs is { } max && count >= max;
        return true;
    }

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
