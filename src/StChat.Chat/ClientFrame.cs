namespace StChat.Chat;

// What a client may send: {"message":"hi"}, {"action":"message","message":"hi","id":"c-1"},
// {"action":"resume","after":42}, {"action":"who"}, {"action":"typing"}. Unknown properties are ignored.
internal sealed record ClientFrame(string? Action, string? Message, string? Id, long? After);
