namespace StChat.Nats.JetStream.Internal;

// Body of $JS.API.CONSUMER.CREATE: the consumer config wrapped with its stream's name.
internal sealed record ConsumerCreateRequest(string StreamName, ConsumerConfig Config);
