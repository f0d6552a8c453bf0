using System.Diagnostics;
using StChat.Nats.JetStream;
using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.JetStream;

public sealed class AckTests(NatsServerFixture fixture) : JetStreamTestBase(fixture), IClassFixture<NatsServerFixture>
{
    private static readonly TimeSpan ShortAckWait = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Unacked_message_is_redelivered_after_the_ack_wait()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker", ShortAckWait);
        await Js.PublishAsync($"{stream}.a", "once"u8.ToArray());
        var first = await FetchOneAsync(stream, TimeSpan.FromSeconds(5));

        var again = await FetchOneAsync(stream, TimeSpan.FromSeconds(5));

        Assert.Equal(1UL, first.Metadata!.Value.NumDelivered);
        Assert.Equal(2UL, again.Metadata!.Value.NumDelivered);
        Assert.Equal(first.Metadata!.Value.StreamSequence, again.Metadata!.Value.StreamSequence);
        Assert.Equal(2UL, again.Metadata!.Value.ConsumerSequence);
    }

    [Fact]
    public async Task Acked_message_is_not_redelivered()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker", ShortAckWait);
        await Js.PublishAsync($"{stream}.a", "once"u8.ToArray());
        await (await FetchOneAsync(stream, TimeSpan.FromSeconds(5))).DoubleAckAsync();

        var later = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 1, Expires = ShortAckWait * 2 });

        Assert.Empty(later);
    }

    [Fact]
    public async Task Nakked_message_is_redelivered_at_once()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        await Js.PublishAsync($"{stream}.a", "retry me"u8.ToArray());
        var first = await FetchOneAsync(stream, TimeSpan.FromSeconds(5));

        await first.NakAsync();
        var clock = Stopwatch.StartNew();
        var again = await FetchOneAsync(stream, TimeSpan.FromSeconds(5));

        Assert.Equal(2UL, again.Metadata!.Value.NumDelivered);
        Assert.Equal(first.Metadata!.Value.StreamSequence, again.Metadata!.Value.StreamSequence);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"A nak without delay should not wait for the 30 s ack wait; took {clock.Elapsed}.");
    }

    [Fact]
    public async Task Nakked_message_with_a_delay_is_redelivered_after_the_delay()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        await Js.PublishAsync($"{stream}.a", "later"u8.ToArray());
        var first = await FetchOneAsync(stream, TimeSpan.FromSeconds(5));
        var delay = TimeSpan.FromSeconds(1.5);

        var clock = Stopwatch.StartNew();
        await first.NakAsync(delay);
        var early = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 1, NoWait = true });
        var again = await FetchOneAsync(stream, TimeSpan.FromSeconds(10));

        Assert.Empty(early);
        Assert.Equal(2UL, again.Metadata!.Value.NumDelivered);
        Assert.True(clock.Elapsed >= delay - TimeSpan.FromMilliseconds(200), $"Redelivered before the nak delay; after {clock.Elapsed}.");
    }

    [Fact]
    public async Task Terminated_message_is_never_redelivered()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker", ShortAckWait);
        await Js.PublishAsync($"{stream}.a", "poison"u8.ToArray());
        var first = await FetchOneAsync(stream, TimeSpan.FromSeconds(5));

        await first.AckTerminateAsync();
        var later = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 1, Expires = ShortAckWait * 3 });

        Assert.Empty(later);
        Assert.Equal(0, (await Js.GetConsumerAsync(stream, "worker")).NumAckPending);
    }

    [Fact]
    public async Task Progress_reports_extend_the_ack_deadline()
    {
        // Reports every tenth of the ack wait leave room for a busy machine to stall the test for a while.
        var ackWait = TimeSpan.FromSeconds(2);
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker", ackWait);
        await Js.PublishAsync($"{stream}.a", "slow work"u8.ToArray());
        var msg = await FetchOneAsync(stream, TimeSpan.FromSeconds(5));

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < ackWait * 2)
        {
            await msg.AckProgressAsync();
            await Task.Delay(ackWait / 10);
        }

        await msg.AckProgressAsync();
        var redelivered = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 1, NoWait = true });
        await msg.DoubleAckAsync();

        Assert.Empty(redelivered);
        Assert.Equal(0, (await Js.GetConsumerAsync(stream, "worker")).NumRedelivered);
    }

    [Fact]
    public async Task Double_ack_returns_once_the_server_has_recorded_it()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        await PublishManyAsync($"{stream}.a", 2);
        var msgs = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 2, NoWait = true });

        await msgs[0].DoubleAckAsync();
        await msgs[1].DoubleAckAsync();

        var info = await Js.GetConsumerAsync(stream, "worker");
        Assert.Equal(0, info.NumAckPending);
        Assert.Equal(2UL, info.AckFloor.StreamSeq);
    }

    [Fact]
    public async Task Double_ack_after_the_consumer_is_gone_fails()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        await Js.PublishAsync($"{stream}.a", "orphan"u8.ToArray());
        var msg = await FetchOneAsync(stream, TimeSpan.FromSeconds(5));
        await Js.DeleteStreamAsync(stream);

        var ex = await Assert.ThrowsAsync<NatsJSException>(async () => await msg.DoubleAckAsync());

        Assert.Contains("no longer exists", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Double_ack_that_is_never_confirmed_times_out()
    {
        var replyTo = $"$JS.ACK.{UniqueName("S")}.worker.1.1.1.1.0";
        await using var silent = await Nats.SubscribeCoreAsync(replyTo);
        var msg = new NatsJSMsg(new NatsMsg("x", replyTo, null, default), Nats, TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAsync<NatsTimeoutException>(async () => await msg.DoubleAckAsync());
    }

    [Fact]
    public async Task Message_without_a_reply_subject_cannot_be_acked()
    {
        var msg = default(NatsJSMsg);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await msg.AckAsync());
        Assert.Null(msg.Metadata);
    }

    private async Task<NatsJSMsg> FetchOneAsync(string stream, TimeSpan expires)
    {
        var msgs = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 1, Expires = expires });
        return Assert.Single(msgs);
    }
}
