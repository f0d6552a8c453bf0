using System.Text;
using StChat.Nats.JetStream;
using StChat.Nats.JetStream.Internal;
using Xunit;

namespace StChat.Nats.Tests.JetStream;

public sealed class ApiReplyTests
{
    [Fact]
    public void Error_reply_becomes_an_api_exception_with_code_err_code_and_description()
    {
        var reply = """{"type":"io.nats.jetstream.api.v1.stream_info_response","error":{"code":404,"err_code":10059,"description":"stream not found"},"total":0,"offset":0,"limit":0}""";

        var ex = Assert.Throws<NatsJSApiException>(() => Parse(reply));

        Assert.Equal(404, ex.Code);
        Assert.Equal(10059, ex.ErrCode);
        Assert.Equal("stream not found", ex.Description);
        Assert.Contains("stream not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_after_other_members_is_found()
    {
        var reply = """{"type":"t","config":{"name":"x","subjects":["a"]},"error":{"code":400,"err_code":10058,"description":"stream name already in use with a different configuration"}}""";

        var ex = Assert.Throws<NatsJSApiException>(() => Parse(reply));

        Assert.Equal(10058, ex.ErrCode);
    }

    [Fact]
    public void Error_member_nested_below_the_top_level_is_not_an_error()
    {
        var reply = """{"config":{"name":"x","subjects":[],"error":{"code":1}},"created":"2026-01-01T00:00:00Z"}""";

        Assert.Equal("x", Parse(reply).Config.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"config":""")]
    public void Malformed_reply_is_a_jetstream_exception(string reply)
    {
        var ex = Assert.Throws<NatsJSException>(() => Parse(reply));

        Assert.IsNotType<NatsJSApiException>(ex);
    }

    [Fact]
    public void Pub_ack_is_read_with_spaces_and_without_duplicate()
    {
        var ack = NatsJSContext.ParsePubAck("""{"stream":"S2", "seq":3}"""u8, "s2.a");

        Assert.Equal(new PubAckResponse("S2", 3, false, null), ack);
    }

    [Fact]
    public void Pub_ack_of_a_duplicate_carries_the_flag_and_domain()
    {
        var ack = NatsJSContext.ParsePubAck("""{"stream":"S2", "seq":1,"duplicate": true,"domain":"hub"}"""u8, "s2.a");

        Assert.Equal(new PubAckResponse("S2", 1, true, "hub"), ack);
    }

    [Fact]
    public void Pub_ack_error_becomes_an_api_exception()
    {
        var ex = Assert.Throws<NatsJSApiException>(
            () => NatsJSContext.ParsePubAck("""{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"},"stream":"S"}"""u8, "s"));

        Assert.Equal(503, ex.Code);
        Assert.Equal(10077, ex.ErrCode);
    }

    [Fact]
    public void Pub_ack_without_a_stream_is_a_jetstream_exception()
    {
        Assert.Throws<NatsJSException>(() => NatsJSContext.ParsePubAck("{}"u8, "s"));
        Assert.Throws<NatsJSException>(() => NatsJSContext.ParsePubAck("nope"u8, "s"));
    }

    private static StreamInfo Parse(string reply) =>
        ApiReply.Parse(Encoding.UTF8.GetBytes(reply), JetStreamJsonContext.Default.StreamInfo, "$JS.API.STREAM.INFO.x");
}
