namespace StChat.Chat;

// An entry of a connection's send queue: a sequenced event (delivered in seq order), a ready frame (ack, error,
// who, typing), or a request to replay from a seq.
internal readonly record struct Outgoing(ChatEvent? Event, ReadOnlyMemory<byte> Frame, long ResumeAfter)
{
    public static Outgoing Sequenced(ChatEvent e) => new(e, default, -1);

    public static Outgoing Raw(ReadOnlyMemory<byte> frame) => new(null, frame, -1);

    public static Outgoing Resume(long after) => new(null, default, after);
}
