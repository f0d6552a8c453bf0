using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace StChat.Nats.Internal;

internal static class HeaderCodec
{
    private static ReadOnlySpan<byte> Version => "NATS/1.0"u8;

    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    private static ReadOnlySpan<byte> Separator => ": "u8;

    // Header block length: "NATS/1.0\r\n" + ("Key: Value\r\n")* + "\r\n"
    public static int GetEncodedLength(NatsHeaders headers)
    {
        var length = Version.Length + (2 * Crlf.Length);
        foreach (var (key, value) in headers)
        {
            length += key.Length + Separator.Length + Encoding.UTF8.GetByteCount(value) + Crlf.Length;
        }

        return length;
    }

    // headers = "NATS/1.0" CRLF *( key ": " value CRLF ) CRLF
    public static void Write(IBufferWriter<byte> writer, NatsHeaders headers, int encodedLength)
    {
        var span = writer.GetSpan(encodedLength);
        Version.CopyTo(span);
        var pos = Version.Length;
        Crlf.CopyTo(span[pos..]);
        pos += Crlf.Length;
        foreach (var (key, value) in headers)
        {
            pos += Encoding.ASCII.GetBytes(key, span[pos..]);
            Separator.CopyTo(span[pos..]);
            pos += Separator.Length;
            pos += Encoding.UTF8.GetBytes(value, span[pos..]);
            Crlf.CopyTo(span[pos..]);
            pos += Crlf.Length;
        }

        Crlf.CopyTo(span[pos..]);
        pos += Crlf.Length;
        writer.Advance(pos);
    }

    // headers = "NATS/1.0" [ SP code [ SP description ] ] CRLF *( key ":" [ SP ] value CRLF ) CRLF
    public static NatsHeaders Parse(ReadOnlySequence<byte> block)
    {
        byte[]? rented = null;
        var length = checked((int)block.Length);
        ReadOnlySpan<byte> span;
        if (block.IsSingleSegment)
        {
            span = block.FirstSpan;
        }
        else
        {
            rented = ArrayPool<byte>.Shared.Rent(length);
            block.CopyTo(rented);
            span = rented.AsSpan(0, length);
        }

        try
        {
            return Parse(span);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    // See Parse(ReadOnlySequence<byte>) for the grammar.
    public static NatsHeaders Parse(ReadOnlySpan<byte> span)
    {
        var lineEnd = span.IndexOf(Crlf);
        if (lineEnd < 0 || !span.StartsWith(Version))
        {
            throw new NatsProtocolException("Header block does not start with a NATS/1.0 line.");
        }

        var status = span[Version.Length..lineEnd].Trim((byte)' ');
        var headers = status.IsEmpty ? new NatsHeaders() : ParseStatus(status);
        var rest = span[(lineEnd + Crlf.Length)..];
        while (true)
        {
            lineEnd = rest.IndexOf(Crlf);
            if (lineEnd < 0)
            {
                throw new NatsProtocolException("Header block is not terminated by an empty line.");
            }

            if (lineEnd == 0)
            {
                // The declared header length must end exactly at the empty line; anything after it is a framing error.
                if (rest.Length != Crlf.Length)
                {
                    throw new NatsProtocolException($"Header block has {rest.Length - Crlf.Length} bytes after its terminating empty line.");
                }

                return headers;
            }

            var line = rest[..lineEnd];
            rest = rest[(lineEnd + Crlf.Length)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw new NatsProtocolException($"Header line '{Encoding.UTF8.GetString(line)}' has no key.");
            }

            // key = 1*( %x21-39 / %x3B-7E ): printable ASCII without ':'; anything else would not round-trip.
            var keyBytes = line[..colon].Trim((byte)' ');
            if (keyBytes.IsEmpty || keyBytes.IndexOfAnyExceptInRange((byte)'!', (byte)'~') >= 0)
            {
                throw new NatsProtocolException($"Header key '{Encoding.UTF8.GetString(keyBytes)}' is empty or has bytes outside printable ASCII.");
            }

            var key = Encoding.ASCII.GetString(keyBytes);
            var value = Encoding.UTF8.GetString(line[(colon + 1)..].Trim((byte)' '));
            headers.AddParsed(key, value);
        }
    }

    // status = 1*DIGIT [ SP description ]
    private static NatsHeaders ParseStatus(ReadOnlySpan<byte> status)
    {
        var space = status.IndexOf((byte)' ');
        var codeBytes = space < 0 ? status : status[..space];
        if (codeBytes.IsEmpty
            || codeBytes.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0
            || !Utf8Parser.TryParse(codeBytes, out int code, out var consumed)
            || consumed != codeBytes.Length)
        {
            throw new NatsProtocolException($"Header status '{Encoding.UTF8.GetString(status)}' does not start with a status code (digits only).");
        }

        var description = space < 0 ? null : Encoding.UTF8.GetString(status[(space + 1)..].Trim((byte)' '));
        return new NatsHeaders(code, string.IsNullOrEmpty(description) ? null : description);
    }
}
