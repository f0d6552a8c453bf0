using System.Text.Json.Serialization;

namespace StChat.Nats.JetStream;

/// <summary>What a full stream does with a new message.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DiscardPolicy>))]
public enum DiscardPolicy
{
    /// <summary>Remove the oldest messages to make room.</summary>
    [JsonStringEnumMemberName("old")]
    Old,

    /// <summary>Refuse the new message.</summary>
    [JsonStringEnumMemberName("new")]
    New,
}
