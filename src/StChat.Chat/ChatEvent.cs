namespace StChat.Chat;

// One committed row of chat_log. Events built by the writer carry their JSON, serialized once and sent as the same
// bytes to every member of the room.
internal sealed record ChatEvent(
    string Room,
    long Seq,
    ChatAction Action,
    string User,
    string? Text,
    string Id,
    DateTime Timestamp,
    string? Member = null)
{
    private byte[]? _json;

    public ReadOnlyMemory<byte> Json => _json ??= ChatFrames.Event(this);

    // An event that arrived as its frame (from another node): those bytes are what this node sends on.
    public static ChatEvent FromFrame(byte[] frame)
    {
        var e = ChatFrames.ParseEvent(frame);
        e._json = frame;
        return e;
    }

    public static string ActionName(ChatAction action) => action switch
    {
        ChatAction.Join => "join",
        ChatAction.Message => "message",
        ChatAction.Exit => "exit",
        ChatAction.MemberAdded => "member_added",
        ChatAction.MemberRemoved => "member_removed",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    public static ChatAction ParseAction(string action) => action switch
    {
        "join" => ChatAction.Join,
        "message" => ChatAction.Message,
        "exit" => ChatAction.Exit,
        "member_added" => ChatAction.MemberAdded,
        "member_removed" => ChatAction.MemberRemoved,
        _ => throw new InvalidDataException($"chat_log.action '{action}' is not one of join, message, exit, member_added, member_removed."),
    };
}
