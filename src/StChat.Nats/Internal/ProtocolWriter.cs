using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace StChat.Nats.Internal;

// Turns client commands into protocol bytes. Callers size-check payloads; this only formats.
internal static class ProtocolWriter
{
    // Longest decimal int64 plus sign.
    private const int MaxNumberLength = 20;

    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    // PUB <subject> [reply-to] <#bytes>\r\n[payload]\r\n
    public static void WritePub(IBufferWriter<byte> writer, string subject, string? replyTo, ReadOnlySpan<byte> payload)
    {
        var span = writer.GetSpan(4 + subject.Length + 1 + (replyTo?.Length + 1 ?? 0) + MaxNumberLength + 2);
        "PUB "u8.CopyTo(span);
        var pos = 4;
        pos += WriteSubject(span[pos..], subject);
        span[pos++] = (byte)' ';
        if (replyTo is not null)
        {
            pos += WriteSubject(span[pos..], replyTo);
            span[pos++] = (byte)' ';
        }

        pos += WriteNumber(span[pos..], payload.Length);
        Crlf.CopyTo(span[pos..]);
        writer.Advance(pos + 2);
        WritePayload(writer, payload);
    }

    // HPUB <subject> [reply-to] <#header bytes> <#total bytes>\r\n[headers][payload]\r\n
    public static void WriteHpub(IBufferWriter<byte> writer, string subject, string? replyTo, NatsHeaders headers, int headersLength, ReadOnlySpan<byte> payload)
    {
        var span = writer.GetSpan(5 + subject.Length + 1 + (replyTo?.Length + 1 ?? 0) + (2 * MaxNumberLength) + 3);
        "HPUB "u8.CopyTo(span);
        var pos = 5;
        pos += WriteSubject(span[pos..], subject);
        span[pos++] = (byte)' ';
        if (replyTo is not null)
        {
            pos += WriteSubject(span[pos..], replyTo);
            span[pos++] = (byte)' ';
        }

        pos += WriteNumber(span[pos..], headersLength);
        span[pos++] = (byte)' ';
        pos += WriteNumber(span[pos..], headersLength + payload.Length);
        Crlf.CopyTo(span[pos..]);
        writer.Advance(pos + 2);
        HeaderCodec.Write(writer, headers, headersLength);
        WritePayload(writer, payload);
    }

    // SUB <subject> [queue group] <sid>\r\n
    public static void WriteSub(IBufferWriter<byte> writer, string subject, string? queueGroup, int sid)
    {
        var span = writer.GetSpan(4 + subject.Length + 1 + (queueGroup?.Length + 1 ?? 0) + MaxNumberLength + 2);
        "SUB "u8.CopyTo(span);
        var pos = 4;
        pos += WriteSubject(span[pos..], subject);
        span[pos++] = (byte)' ';
        if (queueGroup is not null)
        {
            pos += WriteSubject(span[pos..], queueGroup);
            span[pos++] = (byte)' ';
        }

        pos += WriteNumber(span[pos..], sid);
        Crlf.CopyTo(span[pos..]);
        writer.Advance(pos + 2);
    }

    // UNSUB <sid> [max_msgs]\r\n
    public static void WriteUnsub(IBufferWriter<byte> writer, int sid, int? maxMsgs)
    {
        var span = writer.GetSpan(6 + (2 * MaxNumberLength) + 3);
        "UNSUB "u8.CopyTo(span);
        var pos = 6;
        pos += WriteNumber(span[pos..], sid);
        if (maxMsgs is { } max)
        {
            span[pos++] = (byte)' ';
            pos += WriteNumber(span[pos..], max);
        }

        Crlf.CopyTo(span[pos..]);
        writer.Advance(pos + 2);
    }

    // PING\r\n
    public static void WritePing(IBufferWriter<byte> writer) => writer.Write("PING\r\n"u8);

    // PONG\r\n
    public static void WritePong(IBufferWriter<byte> writer) => writer.Write("PONG\r\n"u8);

    // CONNECT {"verbose":false,"pedantic":false,...}\r\n
    public static void WriteConnect(IBufferWriter<byte> writer, ConnectInfo info)
    {
        writer.Write("CONNECT "u8);
        using (var json = new Utf8JsonWriter(writer, new JsonWriterOptions { SkipValidation = true }))
        {
            json.WriteStartObject();
            json.WriteBoolean("verbose"u8, false);
            json.WriteBoolean("pedantic"u8, false);
            json.WriteBoolean("tls_required"u8, info.TlsRequired);
            json.WriteString("name"u8, info.Name);
            json.WriteString("lang"u8, info.Lang);
            json.WriteString("version"u8, info.Version);
            json.WriteNumber("protocol"u8, 1);
            json.WriteBoolean("echo"u8, info.Echo);
            json.WriteBoolean("headers"u8, true);
            json.WriteBoolean("no_responders"u8, true);
            if (info.Username is not null)
            {
                json.WriteString("user"u8, info.Username);
                json.WriteString("pass"u8, info.Password ?? "");
            }

            if (info.Token is not null)
            {
                json.WriteString("auth_token"u8, info.Token);
            }

            json.WriteEndObject();
        }

        writer.Write(Crlf);
    }

    // Subjects and queue names are printable ASCII without spaces; encoded byte-per-char, no string building.
    public static int WriteSubject(Span<byte> destination, string subject)
    {
        if (subject.Length == 0)
        {
            throw new ArgumentException("A NATS subject must not be empty.", nameof(subject));
        }

        for (var i = 0; i < subject.Length; i++)
        {
            var c = subject[i];
            if (c <= ' ' || c > '~')
            {
                throw new ArgumentException($"NATS subject '{subject}' contains a whitespace or non-ASCII character.", nameof(subject));
            }

            destination[i] = (byte)c;
        }

        return subject.Length;
    }

    private static int WriteNumber(Span<byte> destination, long value)
    {
        Utf8Formatter.TryFormat(value, destination, out var written);
        return written;
    }

    private static void WritePayload(IBufferWriter<byte> writer, ReadOnlySpan<byte> payload)
    {
        if (!payload.IsEmpty)
        {
            writer.Write(payload);
        }

        writer.Write(Crlf);
    }
}
