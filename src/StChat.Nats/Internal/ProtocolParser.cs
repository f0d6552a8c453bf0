using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace StChat.Nats.Internal;

// Parses server operations from a byte sequence. Sizes are checked against MaxPayload before any
// buffer is allocated or waited for, so a hostile length cannot make the client reserve memory.
internal sealed class ProtocolParser
{
    public const int DefaultMaxControlLine = 64 * 1024;

    // Servers add headers (JetStream metadata, status lines) on top of what a publisher may send.
    public const int HeaderAllowance = 64 * 1024;

    private const int MaxTokens = 6;
    private const int StackLineLimit = 512;

    private readonly int _maxControlLine;

    public ProtocolParser(long maxPayload = 1024 * 1024, int maxControlLine = DefaultMaxControlLine)
    {
        MaxPayload = maxPayload;
        _maxControlLine = maxControlLine;
    }

    public long MaxPayload { get; set; }

    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    // op = control-line CRLF [ payload CRLF ]; consumes one op from buffer or returns false when more bytes are needed.
    public bool TryParse(ref ReadOnlySequence<byte> buffer, out ServerOp op)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> lineSequence, Crlf, advancePastDelimiter: true))
        {
            if (buffer.Length > _maxControlLine)
            {
                throw new NatsProtocolException($"Server control line is longer than {_maxControlLine} bytes.");
            }

            RejectUnknownPrefix(buffer);
            op = default;
            return false;
        }

        if (lineSequence.Length > _maxControlLine)
        {
            throw new NatsProtocolException($"Server control line is longer than {_maxControlLine} bytes.");
        }

        var lineLength = (int)lineSequence.Length;
        byte[]? rented = null;
        var line = lineSequence.IsSingleSegment
            ? lineSequence.FirstSpan
            : lineLength <= StackLineLimit
                ? CopyLine(lineSequence, stackalloc byte[lineLength])
                : CopyLine(lineSequence, rented = ArrayPool<byte>.Shared.Rent(lineLength));
        try
        {
            if (!TryParseLine(line[..lineLength], ref reader, out op))
            {
                return false;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        buffer = buffer.Slice(reader.Position);
        return true;
    }

    private static ReadOnlySpan<byte> CopyLine(ReadOnlySequence<byte> sequence, Span<byte> destination)
    {
        sequence.CopyTo(destination);
        return destination;
    }

    // Garbage is reported as soon as the first bytes cannot start any operation, without waiting for CRLF.
    private static void RejectUnknownPrefix(ReadOnlySequence<byte> buffer)
    {
        Span<byte> head = stackalloc byte[4];
        var length = (int)Math.Min(buffer.Length, head.Length);
        buffer.Slice(0, length).CopyTo(head);
        head = head[..length];
        ReadOnlySpan<byte> first = head;
        if (StartsLike(first, "MSG "u8) || StartsLike(first, "HMSG"u8) || StartsLike(first, "PING"u8) || StartsLike(first, "PONG"u8)
            || StartsLike(first, "+OK\r"u8) || StartsLike(first, "-ERR"u8) || StartsLike(first, "INFO"u8))
        {
            return;
        }

        throw new NatsProtocolException($"Unknown protocol operation starting with '{Printable(first)}'.");
    }

    private static bool StartsLike(ReadOnlySpan<byte> head, ReadOnlySpan<byte> opcode) =>
        Ascii.EqualsIgnoreCase(head, opcode[..head.Length]);

    private bool TryParseLine(scoped ReadOnlySpan<byte> line, ref SequenceReader<byte> reader, out ServerOp op)
    {
        var opEnd = line.IndexOfAny((byte)' ', (byte)'\t');
        var opcode = opEnd < 0 ? line : line[..opEnd];
        var args = opEnd < 0 ? [] : line[(opEnd + 1)..];
        if (Ascii.EqualsIgnoreCase(opcode, "MSG"u8))
        {
            return TryParseMsg(args, ref reader, withHeaders: false, out op);
        }

        if (Ascii.EqualsIgnoreCase(opcode, "HMSG"u8))
        {
            return TryParseMsg(args, ref reader, withHeaders: true, out op);
        }

        if (Ascii.EqualsIgnoreCase(opcode, "PING"u8))
        {
            op = ServerOp.Simple(ServerOpKind.Ping);
            return true;
        }

        if (Ascii.EqualsIgnoreCase(opcode, "PONG"u8))
        {
            op = ServerOp.Simple(ServerOpKind.Pong);
            return true;
        }

        if (Ascii.EqualsIgnoreCase(opcode, "+OK"u8))
        {
            op = ServerOp.Simple(ServerOpKind.Ok);
            return true;
        }

        if (Ascii.EqualsIgnoreCase(opcode, "-ERR"u8))
        {
            op = new ServerOp(ServerOpKind.Err, 0, default, ParseError(args));
            return true;
        }

        if (Ascii.EqualsIgnoreCase(opcode, "INFO"u8))
        {
            op = new ServerOp(ServerOpKind.Info, 0, default, Encoding.UTF8.GetString(args.Trim((byte)' ')));
            return true;
        }

        throw new NatsProtocolException($"Unknown protocol operation '{Printable(opcode)}'.");
    }

    // -ERR '<error message>'
    private static string ParseError(ReadOnlySpan<byte> args)
    {
        var text = args.Trim((byte)' ');
        if (text.Length >= 2 && text[0] == '\'' && text[^1] == '\'')
        {
            text = text[1..^1];
        }

        return Encoding.UTF8.GetString(text);
    }

    // MSG <subject> <sid> [reply-to] <#bytes>
    // HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>
    private bool TryParseMsg(scoped ReadOnlySpan<byte> args, ref SequenceReader<byte> reader, bool withHeaders, out ServerOp op)
    {
        Span<Range> tokens = stackalloc Range[MaxTokens];
        var count = Tokenize(args, tokens);
        var minimum = withHeaders ? 4 : 3;
        if (count < minimum || count > minimum + 1)
        {
            throw new NatsProtocolException($"Malformed {(withHeaders ? "HMSG" : "MSG")} arguments '{Printable(args)}'.");
        }

        var sid = ParseNumber(args[tokens[1]], "sid");
        var hasReply = count == minimum + 1;
        var sizeIndex = hasReply ? 3 : 2;
        long headerLength = 0;
        long totalLength;
        if (withHeaders)
        {
            headerLength = ParseNumber(args[tokens[sizeIndex]], "header size");
            totalLength = ParseNumber(args[tokens[sizeIndex + 1]], "total size");
            if (headerLength > totalLength)
            {
                throw new NatsProtocolException($"HMSG header size {headerLength} is larger than its total size {totalLength}.");
            }

            if (totalLength > MaxPayload + HeaderAllowance)
            {
                throw new NatsProtocolException($"HMSG size {totalLength} exceeds max_payload {MaxPayload} plus {HeaderAllowance} bytes of headers.");
            }
        }
        else
        {
            totalLength = ParseNumber(args[tokens[sizeIndex]], "size");
            if (totalLength > MaxPayload)
            {
                throw new NatsProtocolException($"MSG size {totalLength} exceeds max_payload {MaxPayload}.");
            }
        }

        if (reader.Remaining < totalLength + Crlf.Length)
        {
            op = default;
            return false;
        }

        var body = reader.UnreadSequence.Slice(0, totalLength);
        reader.Advance(totalLength);
        if (!reader.IsNext(Crlf, advancePast: true))
        {
            throw new NatsProtocolException("Message payload is not followed by CRLF.");
        }

        var headers = withHeaders ? HeaderCodec.Parse(body.Slice(0, headerLength)) : null;
        var data = new byte[totalLength - headerLength];
        body.Slice(headerLength).CopyTo(data);
        var subject = Encoding.UTF8.GetString(args[tokens[0]]);
        var replyTo = hasReply ? Encoding.UTF8.GetString(args[tokens[2]]) : null;
        op = new ServerOp(ServerOpKind.Msg, (int)sid, new NatsMsg(subject, replyTo, headers, data, (int)totalLength), null);
        return true;
    }

    private static int Tokenize(ReadOnlySpan<byte> args, Span<Range> tokens)
    {
        var count = 0;
        var i = 0;
        while (i < args.Length)
        {
            while (i < args.Length && args[i] is (byte)' ' or (byte)'\t')
            {
                i++;
            }

            if (i == args.Length)
            {
                break;
            }

            var start = i;
            while (i < args.Length && args[i] is not ((byte)' ' or (byte)'\t'))
            {
                i++;
            }

            if (count == tokens.Length)
            {
                throw new NatsProtocolException($"Too many arguments in '{Printable(args)}'.");
            }

            tokens[count++] = new Range(start, i);
        }

        return count;
    }

    private static long ParseNumber(ReadOnlySpan<byte> token, string what)
    {
        if (!Utf8Parser.TryParse(token, out long value, out var consumed) || consumed != token.Length || value < 0 || value > int.MaxValue)
        {
            throw new NatsProtocolException($"Invalid {what} '{Printable(token)}'.");
        }

        return value;
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var shown = bytes.Length > 64 ? bytes[..64] : bytes;
        var builder = new StringBuilder(shown.Length);
        foreach (var b in shown)
        {
            builder.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
        }

        return builder.ToString();
    }
}
