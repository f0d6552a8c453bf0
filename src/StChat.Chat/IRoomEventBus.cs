namespace StChat.Chat;

// Fan-out of committed events to the members of a room. The only implementation, LocalRoomEventBus, delivers within
// this process: members connected to another process sharing the database get seqs that are gapless and correct, but
// see another process's events live only when they arrive as a gap (a later event of their own process's fan-out)
// or through a resume. A bus between processes would only have to publish committed events: delivery needs no
// ordering or exactly-once guarantee from it, because each connection orders by seq, drops what it has already
// delivered and reads any gap back from chat_log.
internal interface IRoomEventBus
{
    IDisposable Subscribe(string room, IRoomSubscriber subscriber);

    // Events committed by this node, in seq order within each room.
    void PublishCommitted(IReadOnlyList<ChatEvent> events);

    // Not stored and not sequenced (typing notices, read markers); best effort. `skip` leaves out the sender.
    void PublishEphemeral(string room, ReadOnlyMemory<byte> frame, Func<IRoomSubscriber, bool>? skip);
}
