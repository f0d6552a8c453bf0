namespace StChat.Chat;

// The event could not be stored in time; nothing was stored or broadcast and the client may resend the same id.
internal sealed class ChatUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
