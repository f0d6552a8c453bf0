namespace StChat.Chat;

// What reaches sockets beyond the one that caused it: committed events and ephemeral frames of a conversation to its
// followers, frames about an account to all of its sockets, and a sign-out to the sockets of that session.
// LocalRoomEventBus delivers within this process; NatsRoomEventBus also carries all of it to the other chat nodes.
// Delivery of events needs no ordering or exactly-once guarantee from a bus: each subscription orders by seq, drops
// what it has already delivered and reads any gap back from chat_log.
internal interface IRoomEventBus
{
    IDisposable Subscribe(string room, IRoomSubscriber subscriber);

    // Events committed by this node, in seq order within each room.
    void PublishCommitted(IReadOnlyList<ChatEvent> events);

    // Not stored and not sequenced (typing notices, read markers); best effort. Leaves out `except` (the sending
    // subscription) and every subscription of `exceptUser`.
    void PublishEphemeral(string room, ReadOnlyMemory<byte> frame, IRoomSubscriber? except = null, string? exceptUser = null);

    // To every socket of the account, on every node (read markers, conversations it was added to).
    void PublishToAccount(long accountId, byte[] frame);

    // Closes every socket of the session, on every node, with 4001.
    void SignOut(long sessionId);
}
