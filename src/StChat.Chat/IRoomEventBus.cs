namespace StChat.Chat;

// Fan-out of committed events to the members of a room. The local bus delivers in process; a bus backed by NATS
// publishes the same committed events so that members connected to other nodes receive them. Delivery needs no
// ordering or exactly-once guarantee from the bus: each connection orders by seq, drops what it has seen and reads
// any gap back from chat_log.
internal interface IRoomEventBus
{
    IDisposable Subscribe(string room, IRoomSubscriber subscriber);

    // Events committed by this node, in seq order within each room.
    void PublishCommitted(IReadOnlyList<ChatEvent> events);

    // Not stored and not sequenced (typing notices); best effort.
    void PublishEphemeral(string room, ReadOnlyMemory<byte> frame, IRoomSubscriber? except);
}
