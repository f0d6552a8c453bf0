namespace StChat.Nats.JetStream.Internal;

// Reply to a publish on a stream subject: {"stream":"S","seq":1,"duplicate":true,"domain":"d"} or {"error":{...}}.
internal sealed record PubAckReply
{
    public string? Stream { get; init; }

    public ulong Seq { get; init; }

    public bool Duplicate { get; init; }

    public string? Domain { get; init; }

    public ApiError? Error { get; init; }
}
