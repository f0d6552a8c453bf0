namespace StChat.Nats.JetStream;

/// <summary>A consumer's configuration and progress as reported by the server.</summary>
public sealed record ConsumerInfo
{
    /// <summary>Stream the consumer reads.</summary>
    public required string StreamName { get; init; }

    /// <summary>Name of the consumer.</summary>
    public required string Name { get; init; }

    /// <summary>When the consumer was created.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Configuration in effect, with the server's defaults filled in.</summary>
    public required ConsumerConfig Config { get; init; }

    /// <summary>Last delivered sequences.</summary>
    public SequenceInfo Delivered { get; init; } = new();

    /// <summary>Sequences below which everything has been acknowledged.</summary>
    public SequenceInfo AckFloor { get; init; } = new();

    /// <summary>Delivered messages waiting for acknowledgement.</summary>
    public int NumAckPending { get; init; }

    /// <summary>Messages delivered more than once and not yet acknowledged.</summary>
    public int NumRedelivered { get; init; }

    /// <summary>Pull requests waiting at the server.</summary>
    public int NumWaiting { get; init; }

    /// <summary>Messages matching the consumer not yet delivered.</summary>
    public ulong NumPending { get; init; }
}
