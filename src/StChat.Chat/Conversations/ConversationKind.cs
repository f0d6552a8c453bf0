namespace StChat.Chat.Conversations;

internal enum ConversationKind
{
    Public,
    Direct,
    Group,
}
