namespace StChat.Chat;

// A member of a room as the fan-out sees it. Both calls must return at once (they run on the writer loop or a bus
// thread): a subscriber queues the frame or, when it cannot keep up, drops itself.
internal interface IRoomSubscriber
{
    // The user the frames go to (an account name or an anonymous display name).
    string User { get; }

    void OnCommitted(ChatEvent e);

    void OnEphemeral(ReadOnlyMemory<byte> frame);

    // The conversation's log reaches `lastSeq` (read from PostgreSQL): if this member has delivered less, it reads the
    // rest from the log. For events the bus may have lost, such as while NATS was unreachable.
    void CatchUp(long lastSeq);
}
