using System.Text.Json.Serialization;

namespace StChat.Nats.JetStream;

/// <summary>Counts and sequence bounds of the messages in a stream.</summary>
public sealed record StreamState
{
    /// <summary>Messages stored.</summary>
    public ulong Messages { get; init; }

    /// <summary>Bytes stored.</summary>
    public ulong Bytes { get; init; }

    /// <summary>Sequence of the first message stored.</summary>
    public ulong FirstSeq { get; init; }

    /// <summary>When the first message stored was stored.</summary>
    [JsonPropertyName("first_ts")]
    public DateTimeOffset FirstTimestamp { get; init; }

    /// <summary>Sequence of the last message stored.</summary>
    public ulong LastSeq { get; init; }

    /// <summary>When the last message stored was stored.</summary>
    [JsonPropertyName("last_ts")]
    public DateTimeOffset LastTimestamp { get; init; }

    /// <summary>Consumers attached to the stream.</summary>
    public int ConsumerCount { get; init; }
}
