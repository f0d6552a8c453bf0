using System.Globalization;

namespace StChat.Nats.JetStream.Internal;

// Bodies published to a message's $JS.ACK reply subject.
internal static class AckPayloads
{
    public static readonly byte[] Ack = "+ACK"u8.ToArray();
    public static readonly byte[] Nak = "-NAK"u8.ToArray();
    public static readonly byte[] Term = "+TERM"u8.ToArray();
    public static readonly byte[] InProgress = "+WPI"u8.ToArray();

    // nak-with-delay = "-NAK" SP "{" DQUOTE "delay" DQUOTE ":" int64-nanoseconds "}"
    public static byte[] NakWithDelay(TimeSpan delay)
    {
        var prefix = "-NAK {\"delay\":"u8;
        Span<byte> buffer = stackalloc byte[64];
        prefix.CopyTo(buffer);
        NanosecondsConverter.ToNanoseconds(delay)
            .TryFormat(buffer[prefix.Length..], out var written, default, CultureInfo.InvariantCulture);
        var length = prefix.Length + written;
        buffer[length++] = (byte)'}';
        return buffer[..length].ToArray();
    }
}
