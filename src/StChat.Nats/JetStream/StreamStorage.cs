using System.Text.Json.Serialization;

namespace StChat.Nats.JetStream;

/// <summary>Where a stream keeps its messages.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StreamStorage>))]
public enum StreamStorage
{
    /// <summary>On disk; survives a server restart.</summary>
    [JsonStringEnumMemberName("file")]
    File,

    /// <summary>In memory; lost on a server restart.</summary>
    [JsonStringEnumMemberName("memory")]
    Memory,
}
