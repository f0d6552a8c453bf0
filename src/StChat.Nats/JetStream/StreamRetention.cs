using System.Text.Json.Serialization;

namespace StChat.Nats.JetStream;

/// <summary>When a stream removes messages.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StreamRetention>))]
public enum StreamRetention
{
    /// <summary>Only when a limit (count, bytes, age) is reached.</summary>
    [JsonStringEnumMemberName("limits")]
    Limits,

    /// <summary>When every consumer has acknowledged the message, or there is no consumer.</summary>
    [JsonStringEnumMemberName("interest")]
    Interest,

    /// <summary>When one consumer has acknowledged the message.</summary>
    [JsonStringEnumMemberName("workqueue")]
    WorkQueue,
}
