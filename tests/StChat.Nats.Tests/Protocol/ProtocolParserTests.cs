using System.Buffers;
using System.Text;
using StChat.Nats.Internal;
using Xunit;

namespace StChat.Nats.Tests.Protocol;

public sealed class ProtocolParserTests
{
    public static TheoryData<string, string> Frames => new()
    {
        { "MSG foo.bar 9 11\r\nhello world\r\n", "Msg foo.bar sid=9 reply= hdr=- data=hello world size=11" },
        { "MSG foo.bar 9 reply.to 5\r\nhello\r\n", "Msg foo.bar sid=9 reply=reply.to hdr=- data=hello size=5" },
        { "MSG foo 1 0\r\n\r\n", "Msg foo sid=1 reply= hdr=- data= size=0" },
        { "MSG  foo\t2   3\r\na\r\n\r\n", "Msg foo sid=2 reply= hdr=- data=a\r\n size=3" },
        { "HMSG foo 3 30 35\r\nNATS/1.0\r\nA: 1\r\nB: x\r\nA: 2\r\n\r\nhello\r\n", "Msg foo sid=3 reply= hdr=0,,A=1;B=x;A=2 data=hello size=35" },
        { "HMSG _INBOX.x.1 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n", "Msg _INBOX.x.1 sid=1 reply= hdr=503,,- data= size=16" },
        { "HMSG foo 4 my.reply 28 28\r\nNATS/1.0 404 No Messages\r\n\r\n\r\n", "Msg foo sid=4 reply=my.reply hdr=404,No Messages,- data= size=28" },
        { "HMSG foo 4 58 58\r\nNATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 1\r\n\r\n\r\n", "Msg foo sid=4 reply= hdr=408,Request Timeout,Nats-Pending-Messages=1 data= size=58" },
        { "HMSG foo 4 33 33\r\nNATS/1.0 409 Consumer Deleted\r\n\r\n\r\n", "Msg foo sid=4 reply= hdr=409,Consumer Deleted,- data= size=33" },
        { "HMSG hb 5 54 54\r\nNATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 9\r\n\r\n\r\n", "Msg hb sid=5 reply= hdr=100,Idle Heartbeat,Nats-Last-Consumer=9 data= size=54" },
        { "PING\r\n", "Ping" },
        { "PONG\r\n", "Pong" },
        { "+OK\r\n", "Ok" },
        { "-ERR 'Authorization Violation'\r\n", "Err Authorization Violation" },
        { "INFO {\"server_id\":\"X\",\"max_payload\":1048576}\r\n", "Info {\"server_id\":\"X\",\"max_payload\":1048576}" },
    };

    [Theory]
    [MemberData(nameof(Frames))]
    public void Frame_parses_in_one_segment(string frame, string expected)
    {
        Assert.Equal(expected, ParseAll(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(frame))).Single());
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Frame_parses_when_split_into_two_segments_at_every_point(string frame, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(frame);
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            Assert.Equal(expected, ParseAll(SequenceBuilder.Split(bytes, cut)).Single());
        }
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Frame_parses_when_split_into_three_segments_at_every_pair_of_points(string frame, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(frame);
        for (var first = 1; first < bytes.Length - 1; first++)
        {
            for (var second = first + 1; second < bytes.Length; second++)
            {
                Assert.Equal(expected, ParseAll(SequenceBuilder.Split(bytes, first, second)).Single());
            }
        }
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Incomplete_frame_consumes_nothing_until_the_rest_arrives(string frame, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(frame);
        var parser = new ProtocolParser();
        for (var available = 0; available < bytes.Length; available++)
        {
            var partial = new ReadOnlySequence<byte>(bytes, 0, available);
            Assert.False(parser.TryParse(ref partial, out _));
            Assert.Equal(available, partial.Length);
        }

        var whole = new ReadOnlySequence<byte>(bytes);
        Assert.True(parser.TryParse(ref whole, out var op));
        Assert.Equal(expected, Describe(op));
        Assert.True(whole.IsEmpty);
    }

    [Fact]
    public void Several_frames_in_one_read_parse_in_order_and_leave_the_partial_tail()
    {
        var bytes = Encoding.UTF8.GetBytes("PING\r\nMSG a 1 2\r\nhi\r\nPONG\r\nMSG b 2 5\r\nhel");
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            var buffer = SequenceBuilder.Split(bytes, cut);
            var parser = new ProtocolParser();
            var ops = new List<string>();
            while (parser.TryParse(ref buffer, out var op))
            {
                ops.Add(Describe(op));
            }

            Assert.Equal(["Ping", "Msg a sid=1 reply= hdr=- data=hi size=2", "Pong"], ops);
            Assert.Equal("MSG b 2 5\r\nhel", Encoding.UTF8.GetString(buffer.ToArray()));
        }
    }

    [Fact]
    public void Opcodes_are_case_insensitive()
    {
        Assert.Equal(["Ping", "Msg x sid=1 reply= hdr=- data=z size=1"], ParseAll(new ReadOnlySequence<byte>("ping\r\nmsg x 1 1\r\nz\r\n"u8.ToArray())));
    }

    [Fact]
    public void Msg_larger_than_max_payload_is_rejected_from_the_control_line_without_allocating()
    {
        var parser = new ProtocolParser(maxPayload: 1024 * 1024);
        var buffer = new ReadOnlySequence<byte>("MSG foo 1 2147483647\r\n"u8.ToArray());
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<NatsProtocolException>(() => parser.TryParse(ref buffer, out _));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("2147483647", error.Message, StringComparison.Ordinal);
        Assert.Contains("max_payload", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64 * 1024, $"Rejecting the frame allocated {allocated} bytes.");
    }

    [Fact]
    public void Hmsg_larger_than_max_payload_plus_header_allowance_is_rejected()
    {
        var parser = new ProtocolParser(maxPayload: 1000);
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes($"HMSG foo 1 10 {1000 + ProtocolParser.HeaderAllowance + 1}\r\n"));
        Assert.Throws<NatsProtocolException>(() => parser.TryParse(ref buffer, out _));
    }

    [Fact]
    public void Hmsg_whose_header_size_exceeds_its_total_is_rejected()
    {
        var buffer = new ReadOnlySequence<byte>("HMSG foo 1 20 10\r\n"u8.ToArray());
        Assert.Throws<NatsProtocolException>(() => new ProtocolParser().TryParse(ref buffer, out _));
    }

    [Theory]
    [InlineData("HMSG foo 1 14 19\r\nNATS/1.0\r\n\r\nabhello\r\n")]
    [InlineData("HMSG foo 1 15 15\r\nNATS/1.0 -1\r\n\r\n\r\n")]
    [InlineData("HMSG foo 1 20 20\r\nNATS/1.0\r\nK\u00e9y: v\r\n\r\n\r\n")]
    public void Hmsg_with_a_malformed_header_block_is_rejected(string frame)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(frame));
        Assert.Throws<NatsProtocolException>(() => new ProtocolParser().TryParse(ref buffer, out _));
    }

    [Theory]
    [InlineData("MSG foo 1 -5\r\n")]
    [InlineData("MSG foo x 5\r\n")]
    [InlineData("MSG foo 1 5x\r\n")]
    [InlineData("MSG foo 1\r\n")]
    [InlineData("MSG foo 1 a b c 5\r\n")]
    [InlineData("MSG foo 1 99999999999\r\n")]
    public void Malformed_msg_control_lines_are_rejected(string frame)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(frame));
        Assert.Throws<NatsProtocolException>(() => new ProtocolParser().TryParse(ref buffer, out _));
    }

    [Fact]
    public void Payload_not_followed_by_crlf_is_rejected()
    {
        var buffer = new ReadOnlySequence<byte>("MSG foo 1 2\r\nabcd\r\n"u8.ToArray());
        Assert.Throws<NatsProtocolException>(() => new ProtocolParser().TryParse(ref buffer, out _));
    }

    [Theory]
    [InlineData("XYZZY\r\n")]
    [InlineData("GARBAGE")]
    [InlineData("\0\0\0\0")]
    [InlineData("PINGPONG\r\n")]
    public void Garbage_opcodes_are_rejected_with_a_clear_message(string frame)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(frame));
        var error = Assert.Throws<NatsProtocolException>(() => new ProtocolParser().TryParse(ref buffer, out _));
        Assert.Contains("Unknown protocol operation", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_line_longer_than_the_limit_is_rejected_even_without_crlf()
    {
        var parser = new ProtocolParser(maxControlLine: 4096);
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("INFO " + new string('a', 5000)));
        var error = Assert.Throws<NatsProtocolException>(() => parser.TryParse(ref buffer, out _));
        Assert.Contains("longer than 4096", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_line_longer_than_the_limit_is_rejected_when_terminated()
    {
        var parser = new ProtocolParser(maxControlLine: 4096);
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("MSG " + new string('a', 5000) + " 1 1\r\nx\r\n"));
        Assert.Throws<NatsProtocolException>(() => parser.TryParse(ref buffer, out _));
    }

    [Fact]
    public void Message_data_is_an_exact_size_copy_independent_of_the_read_buffer()
    {
        var bytes = "MSG foo 1 3\r\nabc\r\n"u8.ToArray();
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(new ProtocolParser().TryParse(ref buffer, out var op));
        bytes.AsSpan().Clear();
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(op.Msg.Data, out var segment));
        Assert.Equal(3, segment.Array!.Length);
        Assert.Equal("abc", Encoding.ASCII.GetString(op.Msg.Data.Span));
    }

    private static List<string> ParseAll(ReadOnlySequence<byte> buffer)
    {
        var parser = new ProtocolParser();
        var ops = new List<string>();
        while (parser.TryParse(ref buffer, out var op))
        {
            ops.Add(Describe(op));
        }

        Assert.True(buffer.IsEmpty, "Bytes were left unparsed.");
        return ops;
    }

    private static string Describe(ServerOp op)
    {
        if (op.Kind != ServerOpKind.Msg)
        {
            return op.Text is null ? op.Kind.ToString() : $"{op.Kind} {op.Text}";
        }

        var msg = op.Msg;
        var headers = msg.Headers is null
            ? "-"
            : $"{msg.Headers.Code},{msg.Headers.Description},{(msg.Headers.Count == 0 ? "-" : string.Join(";", msg.Headers.Select(h => $"{h.Key}={h.Value}")))}";
        return $"Msg {msg.Subject} sid={op.Sid} reply={msg.ReplyTo} hdr={headers} data={Encoding.UTF8.GetString(msg.Data.Span)} size={msg.Size}";
    }
}
