namespace StChat.Chat;

// The stored kinds of event; the names are the values of chat_log.action and of "action" on the wire.
internal enum ChatAction
{
    Join,
    Message,
    Exit,
}
