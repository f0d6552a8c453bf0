namespace StChat.Nats;

/// <summary>Per-subscription options.</summary>
public sealed record NatsSubOpts
{
    /// <summary>Unsubscribe automatically after this many messages.</summary>
    public int? MaxMsgs { get; init; }

    /// <summary>Messages held before dropping; defaults to <see cref="NatsOpts.SubPendingChannelCapacity"/>.</summary>
    public int? ChannelCapacity { get; init; }

    /// <summary>Bytes held before dropping; defaults to <see cref="NatsOpts.SubPendingBytesLimit"/>.</summary>
    public long? PendingBytesLimit { get; init; }
}
