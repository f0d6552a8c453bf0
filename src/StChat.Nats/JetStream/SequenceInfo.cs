namespace StChat.Nats.JetStream;

/// <summary>A pair of consumer and stream sequences, such as the last delivered or the acknowledgement floor.</summary>
public sealed record SequenceInfo
{
    /// <summary>Sequence in the consumer.</summary>
    public ulong ConsumerSeq { get; init; }

    /// <summary>Sequence in the stream.</summary>
    public ulong StreamSeq { get; init; }
}
