using System.Buffers;
using System.Text;
using StChat.Nats.Internal;
using Xunit;

namespace StChat.Nats.Tests.Protocol;

public sealed class HeaderCodecTests
{
    [Fact]
    public void Repeated_keys_keep_every_value_in_order()
    {
        var headers = HeaderCodec.Parse("NATS/1.0\r\nX-Tag: a\r\nOther: b\r\nx-tag: c\r\n\r\n"u8);
        Assert.Equal(0, headers.Code);
        Assert.Null(headers.Description);
        Assert.Equal(3, headers.Count);
        Assert.Equal(["a", "c"], headers.GetValues("X-TAG"));
        Assert.Equal("a", headers["x-tag"]);
    }

    [Theory]
    [InlineData("NATS/1.0 503\r\n\r\n", 503, null)]
    [InlineData("NATS/1.0 404 No Messages\r\n\r\n", 404, "No Messages")]
    [InlineData("NATS/1.0 408 Request Timeout\r\n\r\n", 408, "Request Timeout")]
    [InlineData("NATS/1.0 409 Message Size Exceeds MaxBytes\r\n\r\n", 409, "Message Size Exceeds MaxBytes")]
    [InlineData("NATS/1.0 100 Idle Heartbeat\r\n\r\n", 100, "Idle Heartbeat")]
    public void Status_line_becomes_code_and_description(string block, int code, string? description)
    {
        var headers = HeaderCodec.Parse(Encoding.ASCII.GetBytes(block));
        Assert.Equal(code, headers.Code);
        Assert.Equal(description, headers.Description);
    }

    [Fact]
    public void Value_keeps_inner_colons_and_loses_surrounding_spaces()
    {
        var headers = HeaderCodec.Parse("NATS/1.0\r\nUrl:   http://x:1/y  \r\n\r\n"u8);
        Assert.Equal("http://x:1/y", headers["Url"]);
    }

    [Theory]
    [InlineData("HTTP/1.1\r\n\r\n")]
    [InlineData("NATS/1.0\r\nNoColon\r\n\r\n")]
    [InlineData("NATS/1.0\r\nA: 1\r\n")]
    [InlineData("NATS/1.0 abc\r\n\r\n")]
    [InlineData("NATS/1.0 -1\r\n\r\n")]
    [InlineData("NATS/1.0 -503 No Responders\r\n\r\n")]
    [InlineData("NATS/1.0 +503\r\n\r\n")]
    [InlineData("NATS/1.0 99999999999\r\n\r\n")]
    [InlineData("NATS/1.0\r\nA: 1\r\n\r\nX")]
    [InlineData("NATS/1.0\r\n\r\n\r\n")]
    [InlineData("NATS/1.0\r\nA: 1\r\n\r\nB: 2\r\n\r\n")]
    [InlineData("NATS/1.0\r\n : 1\r\n\r\n")]
    [InlineData("NATS/1.0\r\nA\tB: 1\r\n\r\n")]
    public void Malformed_header_blocks_are_protocol_errors(string block)
    {
        Assert.Throws<NatsProtocolException>(() => HeaderCodec.Parse(Encoding.ASCII.GetBytes(block)));
    }

    [Fact]
    public void Non_ascii_bytes_in_a_key_are_a_protocol_error_not_question_marks()
    {
        var block = Encoding.UTF8.GetBytes("NATS/1.0\r\nSchlüssel: 1\r\n\r\n");
        Assert.Throws<NatsProtocolException>(() => HeaderCodec.Parse(block));
    }

    [Fact]
    public void Bytes_after_the_empty_line_are_rejected_also_when_the_block_spans_segments()
    {
        var bytes = "NATS/1.0\r\nA: 1\r\n\r\nAB"u8.ToArray();
        var block = SequenceBuilder.Split(bytes, 5);
        Assert.Throws<NatsProtocolException>(() => HeaderCodec.Parse(block));
    }

    [Fact]
    public void Non_ascii_bytes_in_a_value_are_utf8()
    {
        var headers = HeaderCodec.Parse(Encoding.UTF8.GetBytes("NATS/1.0\r\nA: zwei ü\r\n\r\n"));
        Assert.Equal("zwei ü", headers["A"]);
    }

    [Fact]
    public void Encoded_headers_parse_back_to_the_same_pairs()
    {
        var headers = new NatsHeaders { { "A", "1" }, { "B", "zwei ü" }, { "A", "3" } };
        var buffer = new ArrayBufferWriter<byte>();
        var length = HeaderCodec.GetEncodedLength(headers);
        HeaderCodec.Write(buffer, headers, length);
        Assert.Equal(length, buffer.WrittenCount);
        var parsed = HeaderCodec.Parse(new ReadOnlySequence<byte>(buffer.WrittenMemory));
        Assert.Equal(headers.ToList(), parsed.ToList());
    }

    [Fact]
    public void Setting_a_key_replaces_all_its_values()
    {
        var headers = new NatsHeaders { { "A", "1" }, { "a", "2" }, { "B", "x" } };
        headers["A"] = "3";
        Assert.Equal(["3"], headers.GetValues("a"));
        Assert.Equal(2, headers.Count);
        Assert.False(headers.TryGetValue("missing", out _));
    }
}
