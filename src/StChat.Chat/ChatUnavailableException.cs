namespace StChat.Chat;

// The event could not be stored in time. An attempt may still have committed it, so the client resends the same id.
internal sealed class ChatUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
