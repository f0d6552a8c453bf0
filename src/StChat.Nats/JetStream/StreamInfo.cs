namespace StChat.Nats.JetStream;

/// <summary>A stream's configuration and state as reported by the server.</summary>
public sealed record StreamInfo
{
    /// <summary>Configuration in effect, with the server's defaults filled in.</summary>
    public required StreamConfig Config { get; init; }

    /// <summary>When the stream was created.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Counts and sequence bounds of the stored messages.</summary>
    public StreamState State { get; init; } = new();
}
