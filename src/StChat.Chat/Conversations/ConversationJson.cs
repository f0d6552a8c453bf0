using System.Text.Json;
using System.Text.Json.Serialization;

namespace StChat.Chat.Conversations;

internal sealed record GroupRequest(string? Title, IReadOnlyList<string?>? Members);

internal sealed record MemberRequest(string? Name);

internal sealed record MessageRequest(string? Text);

internal sealed record ReadRequest(long? Seq);

internal sealed record ReadState(string Room, long Seq);

internal sealed record MemberRead(string User, long Seq);

// One conversation of GET /api/conversations. LastEvent is the same object as the WebSocket's event frame; ReadBy holds
// the other members' read markers of a direct or group conversation.
internal sealed record ConversationEntry(
    string Room,
    string Kind,
    string? Title,
    IReadOnlyList<string> Members,
    long LastSeq,
    ChatEvent? LastEvent,
    long ReadSeq,
    long Unread,
    IReadOnlyList<MemberRead> ReadBy)
{
    public static ConversationEntry From(ConversationRow row) =>
        new(row.Room, row.Kind, row.Title, row.MemberNames, row.LastSeq, row.LastEvent, row.ReadSeq, row.Unread, row.MemberReads);
}

internal sealed record ConversationList(IReadOnlyList<ConversationEntry> Conversations);

internal sealed record EventPage(IReadOnlyList<ChatEvent> Events, long LastSeq);

// REST responses carry events as the very bytes the WebSocket sends (ChatFrames.Event), so the two cannot drift apart.
internal sealed class ChatEventJsonConverter : JsonConverter<ChatEvent>
{
    public override ChatEvent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Events are written by the server, never read from a request.");

    public override void Write(Utf8JsonWriter writer, ChatEvent value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Json.Span, skipInputValidation: true);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.Strict,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    Converters = [typeof(ChatEventJsonConverter)])]
[JsonSerializable(typeof(GroupRequest))]
[JsonSerializable(typeof(MemberRequest))]
[JsonSerializable(typeof(MessageRequest))]
[JsonSerializable(typeof(ReadRequest))]
[JsonSerializable(typeof(ReadState))]
[JsonSerializable(typeof(ConversationEntry))]
[JsonSerializable(typeof(ConversationList))]
[JsonSerializable(typeof(EventPage))]
[JsonSerializable(typeof(ChatEvent))]
internal sealed partial class ConversationJsonContext : JsonSerializerContext;
