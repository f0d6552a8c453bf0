namespace StChat.Chat;

// One chat_log row as the read queries select it; Dapper matches the columns to these parameters by name.
internal sealed record ChatLogRow(
    string Room,
    long Seq,
    string Action,
    string Username,
    string? Text,
    string? ClientMsgId,
    DateTime CreatedAt)
{
    public ChatEvent ToEvent() => new(Room, Seq, ChatEvent.ParseAction(Action), Username, Text, ClientMsgId ?? "", CreatedAt);
}
