namespace StChat.Nats.JetStream.Internal;

// The "error" member of a JetStream API reply.
internal sealed record ApiError
{
    public int Code { get; init; }

    public int ErrCode { get; init; }

    public string? Description { get; init; }
}
