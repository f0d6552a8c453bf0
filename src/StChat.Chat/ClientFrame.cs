namespace StChat.Chat;

// What a client may send: {"message":"hi"}, {"action":"message","message":"hi","id":"c-1"},
// {"action":"resume","after":42}, {"action":"who"}, {"action":"typing"}, and on /ws, each with "room":
// {"action":"subscribe","room":"lobby","after":0}, {"action":"unsubscribe","room":"lobby"},
// {"action":"read","room":"dm:ann:bob","seq":7}. Unknown properties are ignored.
internal sealed record ClientFrame(string? Action, string? Message, string? Id, long? After, string? Room, long? Seq);
