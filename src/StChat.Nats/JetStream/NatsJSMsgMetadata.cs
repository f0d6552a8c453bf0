namespace StChat.Nats.JetStream;

/// <summary>Delivery facts of a JetStream message, taken from its <c>$JS.ACK</c> reply subject.</summary>
/// <param name="Stream">Stream the message is stored in.</param>
/// <param name="Consumer">Consumer that delivered it.</param>
/// <param name="NumDelivered">Times the message has been delivered, this delivery included.</param>
/// <param name="StreamSequence">Sequence of the message in the stream.</param>
/// <param name="ConsumerSequence">Sequence of this delivery in the consumer.</param>
/// <param name="Timestamp">When the stream stored the message.</param>
/// <param name="NumPending">Messages left for the consumer after this one.</param>
/// <param name="Domain">JetStream domain, or null when there is none.</param>
public readonly record struct NatsJSMsgMetadata(
    string Stream,
    string Consumer,
    ulong NumDelivered,
    ulong StreamSequence,
    ulong ConsumerSequence,
    DateTimeOffset Timestamp,
    ulong NumPending,
    string? Domain);
