namespace StChat.Chat;

// One chat_log row as the read queries select it; Dapper matches the columns to these parameters by name.
internal sealed record ChatLogRow(
    string Room,
    long Seq,
    string Action,
    string Username,
    string? Text,
    string? ClientMsgId,
    DateTime CreatedAt,
    string? Member)
{
    // The columns every read selects, in the order of the constructor.
    public const string Columns = "room, seq, action, username, text, client_msg_id AS ClientMsgId, created_at AS CreatedAt, member";

    public ChatEvent ToEvent() => new(Room, Seq, ChatEvent.ParseAction(Action), Username, Text, ClientMsgId ?? "", CreatedAt, Member);
}
