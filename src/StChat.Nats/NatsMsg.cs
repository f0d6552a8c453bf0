namespace StChat.Nats;

/// <summary>
/// A received message. <see cref="Data"/> is an exact-size array owned by the message and safe to keep.
/// </summary>
/// <param name="Subject">Subject the message was published to.</param>
/// <param name="ReplyTo">Reply subject, if the publisher set one.</param>
/// <param name="Headers">Headers, or null for a message published without any.</param>
/// <param name="Data">Payload.</param>
public readonly record struct NatsMsg(string Subject, string? ReplyTo, NatsHeaders? Headers, ReadOnlyMemory<byte> Data)
{
    internal NatsMsg(string subject, string? replyTo, NatsHeaders? headers, ReadOnlyMemory<byte> data, int size)
        : this(subject, replyTo, headers, data)
    {
        Size = size;
    }

    /// <summary>Bytes of headers plus payload as sent on the wire.</summary>
    public int Size { get; } = Data.Length + (Headers is null ? 0 : Internal.HeaderCodec.GetEncodedLength(Headers));
}
