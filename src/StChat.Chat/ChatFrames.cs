using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace StChat.Chat;

// Server-to-client frames. Each is a JSON object whose "action" says what it is and whose "message" is a line a
// person can read in wscat; the other properties are for programs.
internal static class ChatFrames
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Frames never end up inside HTML, so names and text stay readable instead of \uXXXX escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static string Readable(ChatEvent e) => e.Action switch
    {
        ChatAction.Join => $"{e.User} joined chat.",
        ChatAction.Message => $"{e.User}: {e.Text}",
        ChatAction.Exit => $"{e.User} exited chat.",
        ChatAction.MemberAdded => $"{e.User} added {e.Member}.",
        ChatAction.MemberRemoved => AccountsMatch(e.User, e.Member) ? $"{e.User} left." : $"{e.User} removed {e.Member}.",
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.Action, null),
    };

    // {"action":"join|message|exit","message":"<readable>","room":s,"seq":n,"user":s,"text":s|null,"id":s,"ts":"<UTC ISO-8601>"}
    public static byte[] Event(ChatEvent e)
    {
        var w = Start();
        w.WriteStartObject();
        w.WriteString("action"u8, ChatEvent.ActionName(e.Action));
        w.WriteString("message"u8, Readable(e));
        w.WriteString("room"u8, e.Room);
        w.WriteNumber("seq"u8, e.Seq);
        w.WriteString("user"u8, e.User);
        if (e.Text is null)
        {
            w.WriteNull("text"u8);
        }
        else
        {
            w.WriteString("text"u8, e.Text);
        }

        w.WriteString("id"u8, e.Id);
        w.WriteString("ts"u8, DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc));
        if (e.Member is not null)
        {
            w.WriteString("member"u8, e.Member);
        }

        w.WriteEndObject();
        return Finish(w);
    }

    // {"action":"ack","message":"<readable>","room":s,"id":s,"seq":n}
    public static byte[] Ack(string room, string id, long seq)
    {
        var w = Start();
        w.WriteStartObject();
        w.WriteString("action"u8, "ack");
        w.WriteString("message"u8, $"Message {id} stored as #{seq}.");
        w.WriteString("room"u8, room);
        w.WriteString("id"u8, id);
        w.WriteNumber("seq"u8, seq);
        w.WriteEndObject();
        return Finish(w);
    }

    // {"action":"error","code":s,"message":s,"retryable":b[,"room":s][,"id":s]}
    public static byte[] Error(string code, string message, bool retryable = false, string? id = null, string? room = null)
    {
        var w = Start();
        w.WriteStartObject();
        w.WriteString("action"u8, "error");
        w.WriteString("code"u8, code);
        w.WriteString("message"u8, message);
        w.WriteBoolean("retryable"u8, retryable);
        if (room is not null)
        {
            w.WriteString("room"u8, room);
        }

        if (id is not null)
        {
            w.WriteString("id"u8, id);
        }

        w.WriteEndObject();
        return Finish(w);
    }

    // {"action":"who","message":"<readable>","room":s,"users":[s,...]}
    public static byte[] Who(string room, IReadOnlyList<string> users)
    {
        var w = Start();
        w.WriteStartObject();
        w.WriteString("action"u8, "who");
        w.WriteString("message"u8, $"In {room}: {string.Join(", ", users)}");
        w.WriteString("room"u8, room);
        w.WriteStartArray("users"u8);
        foreach (var user in users)
        {
            w.WriteStringValue(user);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        return Finish(w);
    }

    // {"action":"typing","message":"<readable>","room":s,"user":s}
    public static byte[] Typing(string room, string user)
    {
        var w = Start();
        w.WriteStartObject();
        w.WriteString("action"u8, "typing");
        w.WriteString("message"u8, $"{user} is typing...");
        w.WriteString("room"u8, room);
        w.WriteString("user"u8, user);
        w.WriteEndObject();
        return Finish(w);
    }

    // {"action":"subscribed","message":"<readable>","room":s,"last_seq":n}: the replay a subscribe asked for has been sent.
    public static byte[] Subscribed(string room, long lastSeq)
    {
        var w = Start();
        w.WriteStartObject();
        w.WriteString("action"u8, "subscribed");
        w.WriteString("message"u8, $"Following {room} from #{lastSeq}.");
        w.WriteString("room"u8, room);
        w.WriteNumber("last_seq"u8, lastSeq);
        w.WriteEndObject();
        return Finish(w);
    }

    // {"action":"unsubscribed","message":"<readable>","room":s}
    public static byte[] Unsubscribed(string room)
    {
        var w = Start();
        w.WriteStartObject();
        w.WriteString("action"u8, "unsubscribed");
        w.WriteString("message"u8, $"No longer following {room}.");
        w.WriteString("room"u8, room);
        w.WriteEndObject();
        return Finish(w);
    }

    // {"action":"read","message":"<readable>","room":s,"user":s,"seq":n}: not stored in the log, no seq of its own.
    public static byte[] Read(string room, string user, long seq)
    {
        var w = Start();
        w.WriteStartObject();
        w.WriteString("action"u8, "read");
        w.WriteString("message"u8, $"{user} has read {room} up to #{seq}.");
        w.WriteString("room"u8, room);
        w.WriteString("user"u8, user);
        w.WriteNumber("seq"u8, seq);
        w.WriteEndObject();
        return Finish(w);
    }

    // {"action":"conversation","message":"<readable>","room":s,"kind":"direct|group","title":s|null,"members":[s,...]}
    public static byte[] Conversation(Conversations.ConversationKey key, string? title, IReadOnlyList<string> members)
    {
        var w = Start();
        w.WriteStartObject();
        w.WriteString("action"u8, "conversation");
        w.WriteString("message"u8, $"You are in {title ?? key.Value} with {string.Join(", ", members)}.");
        w.WriteString("room"u8, key.Value);
        w.WriteString("kind"u8, key.Kind == Conversations.ConversationKind.Direct ? "direct" : "group");
        if (title is null)
        {
            w.WriteNull("title"u8);
        }
        else
        {
            w.WriteString("title"u8, title);
        }

        w.WriteStartArray("members"u8);
        foreach (var member in members)
        {
            w.WriteStringValue(member);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        return Finish(w);
    }

    // {"action":"reconnect","message":"<readable>"}: this node is stopping; connect again (to another node) and resume.
    public static byte[] Reconnect()
    {
        var w = Start();
        w.WriteStartObject();
        w.WriteString("action"u8, "reconnect");
        w.WriteString("message"u8, "This server is restarting: reconnect, with after=<last seq> per conversation, to carry on.");
        w.WriteEndObject();
        return Finish(w);
    }

    // The fields of an Event frame; InvalidDataException for anything else.
    public static ChatEvent ParseEvent(ReadOnlySpan<byte> frame)
    {
        string? action = null, room = null, user = null, text = null, id = null, member = null;
        long? seq = null;
        DateTime? ts = null;
        try
        {
            var reader = new Utf8JsonReader(frame);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "action": action = reader.GetString(); break;
                    case "room": room = reader.GetString(); break;
                    case "seq": seq = reader.GetInt64(); break;
                    case "user": user = reader.GetString(); break;
                    case "text": text = reader.TokenType == JsonTokenType.Null ? null : reader.GetString(); break;
                    case "id": id = reader.GetString(); break;
                    case "ts": ts = reader.GetDateTime(); break;
                    case "member": member = reader.GetString(); break;
                    default: reader.Skip(); break;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Not an event frame: {e.Message}", e);
        }

        return action is not null && room is not null && seq is { } s && user is not null && id is not null && ts is { } t
            ? new ChatEvent(room, s, ChatEvent.ParseAction(action), user, text, id, DateTime.SpecifyKind(t, DateTimeKind.Utc), member)
            : throw new InvalidDataException("Not an event frame: a field is missing.");
    }

    private static bool AccountsMatch(string a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static Utf8JsonWriter Start()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        if (t_writer is null)
        {
            t_writer = new Utf8JsonWriter(buffer, WriterOptions);
        }
        else
        {
            t_writer.Reset(buffer);
        }

        return t_writer;
    }

    private static byte[] Finish(Utf8JsonWriter writer)
    {
        writer.Flush();
        var bytes = t_buffer!.WrittenSpan.ToArray();
        if (t_buffer.Capacity > 64 * 1024)
        {
            // One huge frame should not pin a huge buffer to the thread for ever.
            t_buffer = null;
            t_writer = null;
        }

        return bytes;
    }
}
