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
    DateTime Timestamp)
{
    private byte[]? _json;

    public ReadOnlyMemory<byte> Json => _json ??= ChatFrames.Event(this);

    public static string ActionName(ChatAction action) => action switch
    {
        ChatAction.Join => "join",
        ChatAction.Message => "message",
        ChatAction.Exit => "exit",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    public static ChatAction ParseAction(string action) => action switch
    {
        "join" => ChatAction.Join,
        "message" => ChatAction.Message,
        "exit" => ChatAction.Exit,
        _ => throw new InvalidDataException($"chat_log.action '{action}' is not one of join, message, exit."),
    };
}
