using System.Text.Json.Serialization;

namespace StChat.Nats.JetStream;

/// <summary>Which deliveries of a consumer must be acknowledged.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AckPolicy>))]
public enum AckPolicy
{
    /// <summary>Every message is acknowledged on its own.</summary>
    [JsonStringEnumMemberName("explicit")]
    Explicit,

    /// <summary>No acknowledgement; a message counts as processed once delivered.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>Acknowledging a message also acknowledges every earlier one.</summary>
    [JsonStringEnumMemberName("all")]
    All,
}
