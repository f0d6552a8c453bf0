namespace StChat.Chat;

// A member of a room as the fan-out sees it. Both calls must return at once (they run on the writer loop or a bus
// thread): a subscriber queues the frame or, when it cannot keep up, drops itself.
internal interface IRoomSubscriber
{
    // The user the frames go to (an account name or an anonymous display name).
    string User { get; }

    void OnCommitted(ChatEvent e);

    void OnEphemeral(ReadOnlyMemory<byte> frame);
}
