namespace StChat.Nats.JetStream;

/// <summary>Configuration of a pull consumer; the defaults match the server's.</summary>
public sealed record ConsumerConfig
{
    /// <summary>Name of a durable consumer; null creates an ephemeral consumer with a server-chosen name.</summary>
    public string? DurableName { get; init; }

    /// <summary>Which deliveries must be acknowledged.</summary>
    public AckPolicy AckPolicy { get; init; } = AckPolicy.Explicit;

    /// <summary>How long the server waits for an acknowledgement before delivering the message again.</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most delivered messages waiting for acknowledgement; past it nothing more is delivered.</summary>
    public int MaxAckPending { get; init; } = 1000;

    /// <summary>Most deliveries of one message; -1 for no limit.</summary>
    public int MaxDeliver { get; init; } = -1;

    /// <summary>Only messages on this subject (wildcards allowed) are delivered; null for all of the stream's.</summary>
    public string? FilterSubject { get; init; }

    /// <summary>
    /// Several filter subjects. Needs nats-server 2.10 or later; older servers are refused with a
    /// <see cref="NatsJSException"/> rather than creating an unfiltered consumer. Sent only when not empty.
    /// </summary>
    public IReadOnlyList<string>? FilterSubjects { get; init; }

    /// <summary>Where in the stream the consumer starts.</summary>
    public DeliverPolicy DeliverPolicy { get; init; } = DeliverPolicy.All;

    /// <summary>First stream sequence delivered, with <see cref="DeliverPolicy.ByStartSequence"/>.</summary>
    public ulong? OptStartSeq { get; init; }

    /// <summary>Start time, with <see cref="DeliverPolicy.ByStartTime"/>.</summary>
    public DateTimeOffset? OptStartTime { get; init; }
}
