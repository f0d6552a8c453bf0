using System.Runtime.InteropServices;

namespace StChat.Chat;

// An entry of a socket's send queue: a sequenced event (delivered in seq order by its room's subscription), a ready
// frame (ack, error, who, typing, read), or a request to replay a subscription from a seq. One reference wide: a
// channel never gives back the room it grew to in a burst (a join storm), so every idle connection keeps paying for
// the size of its entries.
internal readonly struct Outgoing
{
    private readonly object _item;

    private Outgoing(object item) => _item = item;

    public ChatEvent? Event => _item as ChatEvent;

    public ReadOnlyMemory<byte> Frame => _item as byte[];

    public ReplayRequest? Replay => _item as ReplayRequest;

    public static Outgoing Sequenced(ChatEvent e) => new(e);

    public static Outgoing Raw(byte[] frame) => new(frame);

    // Frames from the bus are whole arrays shared by every member; anything else is copied once.
    public static Outgoing Raw(ReadOnlyMemory<byte> frame) =>
        new(MemoryMarshal.TryGetArray(frame, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : frame.ToArray());

    public static Outgoing Start(ReplayRequest request) => new(request);
}

// Replay `Subscription` from its start (After null: the latest HistoryLength events), from a resume's seq, or (CatchUp)
// from whatever it delivered last: the log is ahead of what the bus brought.
internal sealed record ReplayRequest(RoomSubscription Subscription, long? After, bool IsResume, bool CatchUp = false);
