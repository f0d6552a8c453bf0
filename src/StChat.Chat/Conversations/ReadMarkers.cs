using StChat.Chat.Accounts;

namespace StChat.Chat.Conversations;

// Setting an account's read marker, from {"action":"read"} or PUT /api/conversations/{K}/read: stored first, then told
// to the other followers of the conversation and to every socket of the reader, so unread badges agree across tabs
// and devices. The frame is not part of the log and takes no seq.
internal sealed class ReadMarkers(ConversationStore store, IRoomEventBus bus)
{
    // The marker after the update (it never moves back); null when `seq` is beyond the conversation's last seq.
    public async Task<long?> MarkAsync(AccountUser reader, ConversationKey key, long seq, CancellationToken ct)
    {
        var marker = await store.MarkReadAsync(reader.Id, key, seq, ct);
        if (marker is { } stored)
        {
            var frame = ChatFrames.Read(key.Value, reader.Name, stored);
            bus.PublishEphemeral(key.Value, frame, exceptUser: reader.Name);
            bus.PublishToAccount(reader.Id, frame);
        }

        return marker;
    }
}
