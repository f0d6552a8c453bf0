namespace StChat.Catalogue;

/// <summary>
/// The <c>Catalogue</c> configuration section: how the chat server follows the feed catalogue for <c>/feeds</c>,
/// <c>/feeds/ws</c> and <c>/api/feeds</c>. The stream and consumer it follows are <c>Ingest:Stream</c> and
/// <c>Ingest:Consumer</c>. See <see cref="CatalogueOptionsValidator"/> for the limits.
/// </summary>
public sealed record CatalogueOptions
{
    public const string SectionName = "Catalogue";

    /// <summary>
    /// Whether the process serves the catalogue. Unset: on in <c>serve</c>, and in <c>chat</c> when <c>Chat:Bus</c> is
    /// <c>nats</c>, the processes that have a NATS connection anyway; a <c>chat</c> on the local bus needs true.
    /// </summary>
    public bool? Enabled { get; init; }

    /// <summary>How often the ingest consumer's ack floor is read when no notice arrives.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Most open <c>/feeds/ws</c> sockets; more are refused with 503.</summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>
    /// Live batches queued for one socket; a socket that falls further behind reads what it missed from PostgreSQL.
    /// </summary>
    public int SendQueueCapacity { get; init; } = 64;

    /// <summary>How long one frame may wait for a client that does not read before its socket is closed.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Interval of the server's WebSocket pings; a client that answers none within it again is dropped.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);
}
