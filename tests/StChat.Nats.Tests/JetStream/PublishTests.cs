using StChat.Nats.JetStream;
using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.JetStream;

public sealed class PublishTests(NatsServerFixture fixture) : JetStreamTestBase(fixture), IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Publish_is_acknowledged_with_stream_and_sequence()
    {
        var stream = await CreateStreamAsync();

        var first = await Js.PublishAsync($"{stream}.a", "one"u8.ToArray());
        var second = await Js.PublishAsync($"{stream}.a", "two"u8.ToArray());

        Assert.Equal(new PubAckResponse(stream, 1, false, null), first);
        Assert.Equal(new PubAckResponse(stream, 2, false, null), second);
    }

    [Fact]
    public async Task Second_publish_with_the_same_msg_id_is_a_duplicate_and_stored_once()
    {
        var stream = await CreateStreamAsync();

        var first = await Js.PublishAsync($"{stream}.a", "one"u8.ToArray(), msgId: "order-1");
        var second = await Js.PublishAsync($"{stream}.a", "one again"u8.ToArray(), msgId: "order-1");

        Assert.False(first.Duplicate);
        Assert.True(second.Duplicate);
        Assert.Equal(first.Seq, second.Seq);
        Assert.Equal(1UL, (await Js.GetStreamAsync(stream)).State.Messages);
    }

    [Fact]
    public async Task Headers_are_stored_with_the_message_and_the_callers_headers_are_not_changed()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "reader");
        var headers = new NatsHeaders { { "Trace", "t-1" } };

        await Js.PublishAsync($"{stream}.a", "x"u8.ToArray(), msgId: "m-1", headers: headers);
        var msg = Assert.Single(await FetchAllAsync(stream, "reader", new NatsJSFetchOpts { MaxMsgs = 1, NoWait = true }));

        Assert.Equal("t-1", msg.Headers?["Trace"]);
        Assert.Equal("m-1", msg.Headers?["Nats-Msg-Id"]);
        Assert.Equal(1, headers.Count);
    }

    [Fact]
    public async Task Publish_rejected_by_the_stream_is_an_api_error()
    {
        var stream = await CreateStreamAsync(c => c with { MaxMsgSize = 8 });

        var ex = await Assert.ThrowsAsync<NatsJSApiException>(
            async () => await Js.PublishAsync($"{stream}.a", new byte[64]));

        Assert.Equal(400, ex.Code);
        Assert.Contains("message size", ex.Description, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Publish_to_a_subject_no_stream_stores_is_a_jetstream_error()
    {
        var ex = await Assert.ThrowsAsync<NatsJSException>(
            async () => await Js.PublishAsync($"{UniqueName("nostream")}.a", "lost"u8.ToArray()));

        Assert.Contains("no stream", ex.Message, StringComparison.Ordinal);
    }
}
