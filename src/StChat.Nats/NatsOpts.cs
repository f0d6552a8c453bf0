using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace StChat.Nats;

/// <summary>Options for a <see cref="NatsConnection"/>.</summary>
public sealed record NatsOpts
{
    /// <summary>The default options: a local server on port 4222.</summary>
    public static readonly NatsOpts Default = new();

    /// <summary>
    /// One server URL or a comma-separated list. Schemes <c>nats://</c> and <c>tls://</c>;
    /// <c>user:password@</c> or <c>token@</c> userinfo is used for authentication.
    /// </summary>
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>Client name sent in CONNECT and shown by the server's monitoring.</summary>
    public string Name { get; init; } = "stchat";

    /// <summary>Username/password or token credentials.</summary>
    public NatsAuthOpts AuthOpts { get; init; } = NatsAuthOpts.Default;

    /// <summary>TLS settings.</summary>
    public NatsTlsOpts TlsOpts { get; init; } = NatsTlsOpts.Default;

    /// <summary>Whether the server delivers this connection's own publishes to its matching subscriptions.</summary>
    public bool Echo { get; init; } = true;

    /// <summary>Time allowed for TCP connect, TLS and the INFO/CONNECT handshake.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Default timeout of <see cref="NatsConnection.RequestAsync"/> and <see cref="NatsConnection.PingAsync"/>.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Interval between client keepalive PINGs.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Unanswered keepalive PINGs after which the connection is considered stale and dropped.</summary>
    public int MaxPingOut { get; init; } = 2;

    /// <summary>First reconnect delay; doubles per failed attempt up to <see cref="ReconnectWaitMax"/>.</summary>
    public TimeSpan ReconnectWaitMin { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Upper bound of the reconnect delay.</summary>
    public TimeSpan ReconnectWaitMax { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Random extra delay (0..this) added to each reconnect wait.</summary>
    public TimeSpan ReconnectJitter { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Reconnect attempts before giving up and closing; -1 retries forever.</summary>
    public int MaxReconnectRetry { get; init; } = -1;

    /// <summary>Bytes of commands buffered while disconnected; past it publishing throws <see cref="NatsReconnectBufferFullException"/>.</summary>
    public long ReconnectBufferSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// Bytes of commands waiting for the socket while connected. Past it, <see cref="NatsConnection.PublishAsync(string, ReadOnlyMemory{byte}, NatsHeaders?, string?, CancellationToken)"/>
    /// waits until half of them are sent, so a publisher faster than the network slows down instead of growing memory.
    /// </summary>
    public long WriterBufferSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Messages held per subscription before new ones are dropped as a slow consumer.</summary>
    public int SubPendingChannelCapacity { get; init; } = 65536;

    /// <summary>
    /// Bytes (headers plus payload) held per subscription before new messages are dropped as a slow consumer.
    /// A single message larger than this is still delivered when nothing else is waiting.
    /// </summary>
    public long SubPendingBytesLimit { get; init; } = 64 * 1024 * 1024;

    /// <summary>Prefix of reply subjects created by <see cref="NatsConnection.NewInbox"/>.</summary>
    public string InboxPrefix { get; init; } = "_INBOX";

    /// <summary>Logger factory for connection events.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}
