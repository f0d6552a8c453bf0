namespace StChat.Chat;

// The stored kinds of event; the names are the values of chat_log.action and of "action" on the wire.
internal enum ChatAction
{
    Join,
    Message,
    Exit,

    // A group's membership changed; the event's Member is the account added or removed, its User who did it.
    MemberAdded,
    MemberRemoved,
}
