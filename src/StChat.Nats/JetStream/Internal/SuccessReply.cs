namespace StChat.Nats.JetStream.Internal;

// Reply of the delete APIs: {"success":true}.
internal sealed record SuccessReply
{
    public bool Success { get; init; }
}
