using System.Text.Json.Serialization;

namespace StChat.Nats.JetStream.Internal;

// Source-generated (no reflection) JSON for the JetStream API wire shapes.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(NanosecondsConverter)])]
[JsonSerializable(typeof(StreamConfig))]
[JsonSerializable(typeof(StreamInfo))]
[JsonSerializable(typeof(ConsumerCreateRequest))]
[JsonSerializable(typeof(ConsumerInfo))]
[JsonSerializable(typeof(PullRequest))]
[JsonSerializable(typeof(PubAckReply))]
[JsonSerializable(typeof(SuccessReply))]
[JsonSerializable(typeof(ApiError))]
internal sealed partial class JetStreamJsonContext : JsonSerializerContext
{
}
