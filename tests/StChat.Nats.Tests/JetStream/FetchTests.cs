using System.Diagnostics;
using StChat.Nats.JetStream;
using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.JetStream;

public sealed class FetchTests(NatsServerFixture fixture) : JetStreamTestBase(fixture), IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Published_messages_are_fetched_in_order_and_acked()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        await Js.PublishAsync($"{stream}.a", "one"u8.ToArray());
        await Js.PublishAsync($"{stream}.b", "two"u8.ToArray());

        var msgs = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 2, Expires = TimeSpan.FromSeconds(5) });
        foreach (var msg in msgs)
        {
            await msg.AckAsync();
        }

        Assert.Equal(["one", "two"], msgs.Select(m => System.Text.Encoding.UTF8.GetString(m.Data.Span)));
        Assert.Equal([$"{stream}.a", $"{stream}.b"], msgs.Select(m => m.Subject));
        await Eventually.Until(
            async () => (await Js.GetConsumerAsync(stream, "worker")).NumAckPending == 0,
            TimeSpan.FromSeconds(5),
            "both messages should be acknowledged");
        var info = await Js.GetConsumerAsync(stream, "worker");
        Assert.Equal(2UL, info.AckFloor.StreamSeq);
        Assert.Equal(0UL, info.NumPending);
    }

    [Fact]
    public async Task Fetch_ends_when_the_batch_is_complete_and_leaves_the_rest()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        await PublishManyAsync($"{stream}.a", 5);

        var clock = Stopwatch.StartNew();
        var msgs = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 3, Expires = TimeSpan.FromSeconds(30) });

        Assert.Equal([1UL, 2UL, 3UL], msgs.Select(m => m.Metadata!.Value.StreamSequence));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"A full batch should not wait for expiry; took {clock.Elapsed}.");
        var rest = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 10, NoWait = true });
        Assert.Equal([4UL, 5UL], rest.Select(m => m.Metadata!.Value.StreamSequence));
    }

    [Fact]
    public async Task No_wait_fetch_on_an_empty_stream_ends_at_once()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");

        var clock = Stopwatch.StartNew();
        var msgs = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 10, NoWait = true });

        Assert.Empty(msgs);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"404 No Messages should end the fetch at once; took {clock.Elapsed}.");
    }

    [Fact]
    public async Task No_wait_fetch_yields_what_is_there_and_ends()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        await PublishManyAsync($"{stream}.a", 2);

        var clock = Stopwatch.StartNew();
        var msgs = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 10, NoWait = true });

        Assert.Equal(2, msgs.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"The fetch should end once the stream is drained; took {clock.Elapsed}.");
    }

    [Fact]
    public async Task Fetch_on_an_empty_stream_ends_when_the_request_expires()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        var expires = TimeSpan.FromSeconds(1);

        var clock = Stopwatch.StartNew();
        var msgs = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 10, Expires = expires });

        Assert.Empty(msgs);
        Assert.True(clock.Elapsed >= expires - TimeSpan.FromMilliseconds(100), $"The fetch should wait for expiry; took {clock.Elapsed}.");
        Assert.True(clock.Elapsed < expires + TimeSpan.FromSeconds(1.5), $"408 Request Timeout should end the fetch; took {clock.Elapsed}.");
    }

    [Fact]
    public async Task Waiting_fetch_yields_a_message_published_while_it_waits()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");

        var fetch = await StartWaitingFetchAsync(stream, "worker");
        await Js.PublishAsync($"{stream}.late", "late"u8.ToArray());

        var msg = Assert.Single(await fetch);
        Assert.Equal($"{stream}.late", msg.Subject);
    }

    [Fact]
    public async Task Max_bytes_smaller_than_the_next_message_ends_the_fetch_empty()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        await Js.PublishAsync($"{stream}.a", new byte[256]);

        var msgs = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 5, Expires = TimeSpan.FromSeconds(5), MaxBytes = 16 });

        Assert.Empty(msgs);
    }

    [Fact]
    public async Task Max_bytes_limits_the_batch()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        for (var i = 0; i < 4; i++)
        {
            await Js.PublishAsync($"{stream}.a", new byte[100]);
        }

        var msgs = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 4, Expires = TimeSpan.FromSeconds(5), MaxBytes = 350 });

        Assert.InRange(msgs.Count, 1, 3);
    }

    [Fact]
    public async Task Fetch_from_a_missing_consumer_is_a_consumer_not_found_error()
    {
        var stream = await CreateStreamAsync();

        var ex = await Assert.ThrowsAsync<NatsJSApiException>(
            () => FetchAllAsync(stream, "nobody", new NatsJSFetchOpts { MaxMsgs = 1, Expires = TimeSpan.FromMilliseconds(200) }));

        Assert.Equal(404, ex.Code);
        Assert.Equal(10014, ex.ErrCode);
    }

    [Fact]
    public async Task No_wait_fetch_from_a_missing_stream_is_a_stream_not_found_error()
    {
        var js = new NatsJSContext(Nats, new NatsJSOpts { RequestTimeout = TimeSpan.FromSeconds(1) });

        var ex = await Assert.ThrowsAsync<NatsJSApiException>(async () =>
        {
            await foreach (var unused in js.FetchAsync(UniqueName("MISSING"), "nobody", new NatsJSFetchOpts { MaxMsgs = 1, NoWait = true }))
            {
            }
        });

        Assert.Equal(10059, ex.ErrCode);
    }

    [Fact]
    public async Task Consumer_deleted_during_a_fetch_is_a_jetstream_error()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        var fetch = await StartWaitingFetchAsync(stream, "worker");

        await Js.DeleteStreamAsync(stream);

        var ex = await Assert.ThrowsAsync<NatsJSException>(() => fetch);
        Assert.Contains("409 Consumer Deleted", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelled_fetch_stops_waiting()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 1, Expires = TimeSpan.FromSeconds(30) }, cts.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"Cancellation should end the fetch; took {clock.Elapsed}.");
    }

    [Fact]
    public async Task Abandoned_fetch_leaves_undelivered_messages_for_the_next_fetch()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        await PublishManyAsync($"{stream}.a", 3);

        await foreach (var msg in Js.FetchAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 1, NoWait = true }))
        {
            await msg.AckAsync();
            break;
        }

        var rest = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 10, NoWait = true });
        Assert.Equal([2UL, 3UL], rest.Select(m => m.Metadata!.Value.StreamSequence));
    }

    [Fact]
    public async Task Metadata_describes_the_delivery()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");
        await PublishManyAsync($"{stream}.a", 3);

        var msgs = await FetchAllAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 2, NoWait = true });

        var first = msgs[0].Metadata!.Value;
        Assert.Equal(stream, first.Stream);
        Assert.Equal("worker", first.Consumer);
        Assert.Equal(1UL, first.NumDelivered);
        Assert.Equal(1UL, first.StreamSequence);
        Assert.Equal(1UL, first.ConsumerSequence);
        Assert.Equal(2UL, first.NumPending);
        Assert.Null(first.Domain);
        Assert.InRange(first.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(5));
        var second = msgs[1].Metadata!.Value;
        Assert.Equal(2UL, second.StreamSequence);
        Assert.Equal(2UL, second.ConsumerSequence);
        Assert.Equal(1UL, second.NumPending);
    }

    // Starts a one-message fetch and returns it once the server holds it as a waiting pull request.
    private async Task<Task<List<NatsJSMsg>>> StartWaitingFetchAsync(string stream, string consumer)
    {
        var fetch = FetchAllAsync(stream, consumer, new NatsJSFetchOpts { MaxMsgs = 1, Expires = TimeSpan.FromSeconds(10) });
        await Eventually.Until(
            async () => (await Js.GetConsumerAsync(stream, consumer)).NumWaiting == 1,
            TimeSpan.FromSeconds(5),
            "the pull request should be waiting at the server");
        return fetch;
    }
}
