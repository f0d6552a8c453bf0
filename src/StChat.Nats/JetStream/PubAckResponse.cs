namespace StChat.Nats.JetStream;

/// <summary>The stream's acknowledgement of a published message.</summary>
/// <param name="Stream">Stream that stored the message.</param>
/// <param name="Seq">Stream sequence of the message (of the original when <paramref name="Duplicate"/>).</param>
/// <param name="Duplicate">True when a message with the same <c>Nats-Msg-Id</c> was already stored within the duplicate window.</param>
/// <param name="Domain">JetStream domain of the stream, or null.</param>
public sealed record PubAckResponse(string Stream, ulong Seq, bool Duplicate, string? Domain);
