using System.Text.Json.Serialization;

namespace StChat.Nats.JetStream;

/// <summary>Configuration of a stream; the defaults match the server's.</summary>
public sealed record StreamConfig
{
    /// <summary>Name of the stream; no dots, wildcards or whitespace.</summary>
    public required string Name { get; init; }

    /// <summary>Subjects whose messages the stream stores; wildcards allowed.</summary>
    public IReadOnlyList<string> Subjects { get; init; } = [];

    /// <summary>Where the stream keeps its messages.</summary>
    public StreamStorage Storage { get; init; } = StreamStorage.File;

    /// <summary>When the stream removes messages.</summary>
    public StreamRetention Retention { get; init; } = StreamRetention.Limits;

    /// <summary>Most messages kept; -1 for no limit.</summary>
    public long MaxMsgs { get; init; } = -1;

    /// <summary>Most bytes kept; -1 for no limit.</summary>
    public long MaxBytes { get; init; } = -1;

    /// <summary>Oldest message kept; zero for no limit.</summary>
    public TimeSpan MaxAge { get; init; }

    /// <summary>Largest message accepted; -1 for no limit.</summary>
    public int MaxMsgSize { get; init; } = -1;

    /// <summary>
    /// How long a <c>Nats-Msg-Id</c> is remembered to drop duplicates. When <see cref="MaxAge"/> is shorter,
    /// the window is shortened to it, as the server does when it picks the default itself.
    /// </summary>
    public TimeSpan DuplicateWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Copies of each message kept in a cluster.</summary>
    [JsonPropertyName("num_replicas")]
    public int Replicas { get; init; } = 1;

    /// <summary>What a full stream does with a new message.</summary>
    public DiscardPolicy Discard { get; init; } = DiscardPolicy.Old;
}
