using System.Text.Json.Serialization;

namespace StChat.Nats.JetStream;

/// <summary>Where in the stream a new consumer starts.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeliverPolicy>))]
public enum DeliverPolicy
{
    /// <summary>At the first message.</summary>
    [JsonStringEnumMemberName("all")]
    All,

    /// <summary>At the last message.</summary>
    [JsonStringEnumMemberName("last")]
    Last,

    /// <summary>With messages stored after the consumer was created.</summary>
    [JsonStringEnumMemberName("new")]
    New,

    /// <summary>At <see cref="ConsumerConfig.OptStartSeq"/>.</summary>
    [JsonStringEnumMemberName("by_start_sequence")]
    ByStartSequence,

    /// <summary>At the first message stored at or after <see cref="ConsumerConfig.OptStartTime"/>.</summary>
    [JsonStringEnumMemberName("by_start_time")]
    ByStartTime,

    /// <summary>At the last message of each subject.</summary>
    [JsonStringEnumMemberName("last_per_subject")]
    LastPerSubject,
}
