using System.Text;
using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.Integration;

public sealed class CoreMessagingTests : IClassFixture<NatsServerFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly NatsServerFixture _fixture;

    public CoreMessagingTests(NatsServerFixture fixture) => _fixture = fixture;

    private NatsConnection Connect() => new(new NatsOpts { Url = _fixture.Url });

    [Fact]
    public async Task Published_message_reaches_a_subscriber()
    {
        await using var nats = Connect();
        var subject = Subjects.Unique("pubsub");
        await using var sub = await nats.SubscribeCoreAsync(subject);
        await nats.PingAsync();
        await nats.PublishAsync(subject, "hello");

        var msg = await sub.Msgs.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(subject, msg.Subject);
        Assert.Equal("hello", Encoding.UTF8.GetString(msg.Data.Span));
        Assert.Null(msg.Headers);
        Assert.Equal(NatsConnectionState.Open, nats.ConnectionState);
        Assert.True(nats.ServerInfo!.MaxPayload > 0);
    }

    [Fact]
    public async Task Wildcards_match_one_token_or_the_rest()
    {
        await using var nats = Connect();
        var root = Subjects.Unique("wild");
        await using var star = await nats.SubscribeCoreAsync($"{root}.*");
        await using var tail = await nats.SubscribeCoreAsync($"{root}.>");
        await nats.PingAsync();
        await nats.PublishAsync($"{root}.a", "1");
        await nats.PublishAsync($"{root}.a.b", "2");
        await nats.PingAsync();

        Assert.Equal($"{root}.a", (await star.Msgs.ReadAsync().AsTask().WaitAsync(Wait)).Subject);
        Assert.False(star.Msgs.TryRead(out _));
        Assert.Equal($"{root}.a", (await tail.Msgs.ReadAsync().AsTask().WaitAsync(Wait)).Subject);
        Assert.Equal($"{root}.a.b", (await tail.Msgs.ReadAsync().AsTask().WaitAsync(Wait)).Subject);
    }

    [Fact]
    public async Task Queue_group_members_split_the_load_and_each_message_arrives_once()
    {
        await using var nats = Connect();
        var subject = Subjects.Unique("queue");
        await using var first = await nats.SubscribeCoreAsync(subject, "workers");
        await using var second = await nats.SubscribeCoreAsync(subject, "workers");
        await nats.PingAsync();
        const int count = 200;
        for (var i = 0; i < count; i++)
        {
            await nats.PublishAsync(subject, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await nats.PingAsync();
        var seen = new List<string>();
        var perMember = new int[2];
        await Eventually.Until(
            () =>
            {
                while (first.Msgs.TryRead(out var m))
                {
                    seen.Add(Encoding.UTF8.GetString(m.Data.Span));
                    perMember[0]++;
                }

                while (second.Msgs.TryRead(out var m))
                {
                    seen.Add(Encoding.UTF8.GetString(m.Data.Span));
                    perMember[1]++;
                }

                return Task.FromResult(seen.Count >= count);
            },
            Wait,
            "all queue group messages should arrive");

        Assert.Equal(count, seen.Count);
        Assert.Equal(count, seen.Distinct().Count());
        Assert.True(perMember[0] > 0 && perMember[1] > 0, $"Load was not split: {perMember[0]} / {perMember[1]}.");
    }

    [Fact]
    public async Task Request_gets_the_reply_of_a_responder()
    {
        await using var nats = Connect();
        var subject = Subjects.Unique("req");
        await using var responder = await nats.SubscribeCoreAsync(subject);
        var serving = Task.Run(async () =>
        {
            await foreach (var request in responder.Msgs.ReadAllAsync())
            {
                await nats.PublishAsync(request.ReplyTo!, "re:" + Encoding.UTF8.GetString(request.Data.Span));
            }
        });
        await nats.PingAsync();

        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => nats.RequestAsync(subject, Encoding.UTF8.GetBytes($"q{i}")).AsTask()));
        for (var i = 0; i < replies.Length; i++)
        {
            Assert.Equal($"re:q{i}", Encoding.UTF8.GetString(replies[i].Data.Span));
        }

        await responder.UnsubscribeAsync();
        await serving.WaitAsync(Wait);
    }

    [Fact]
    public async Task Request_without_responders_throws_no_responders()
    {
        await using var nats = Connect();
        await Assert.ThrowsAsync<NatsNoRespondersException>(async () => await nats.RequestAsync(Subjects.Unique("nobody"), "x"u8.ToArray()));
    }

    [Fact]
    public async Task Request_that_is_never_answered_times_out()
    {
        await using var nats = Connect();
        var subject = Subjects.Unique("silent");
        await using var silent = await nats.SubscribeCoreAsync(subject);
        await nats.PingAsync();
        await Assert.ThrowsAsync<NatsTimeoutException>(async () => await nats.RequestAsync(subject, timeout: TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Headers_round_trip_with_repeated_keys()
    {
        await using var nats = Connect();
        var subject = Subjects.Unique("headers");
        await using var sub = await nats.SubscribeCoreAsync(subject);
        await nats.PingAsync();
        var headers = new NatsHeaders { { "Trace-Id", "abc" }, { "Tag", "one" }, { "Tag", "two" } };
        await nats.PublishAsync(subject, "body"u8.ToArray(), headers);

        var msg = await sub.Msgs.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.NotNull(msg.Headers);
        Assert.Equal("abc", msg.Headers["trace-id"]);
        Assert.Equal(["one", "two"], msg.Headers.GetValues("Tag"));
        Assert.Equal(0, msg.Headers.Code);
        Assert.Equal("body", Encoding.UTF8.GetString(msg.Data.Span));
    }

    [Fact]
    public async Task Subscription_with_max_msgs_completes_after_that_many()
    {
        await using var nats = Connect();
        var subject = Subjects.Unique("max");
        var sub = await nats.SubscribeCoreAsync(subject, opts: new NatsSubOpts { MaxMsgs = 3 });
        await nats.PingAsync();
        for (var i = 0; i < 5; i++)
        {
            await nats.PublishAsync(subject, "m");
        }

        var received = 0;
        await foreach (var unused in sub.Msgs.ReadAllAsync().WithCancellation(new CancellationTokenSource(Wait).Token))
        {
            received++;
        }

        Assert.Equal(3, received);
    }

    [Fact]
    public async Task Unsubscribed_subscription_completes_and_gets_nothing_more()
    {
        await using var nats = Connect();
        var subject = Subjects.Unique("unsub");
        var sub = await nats.SubscribeCoreAsync(subject);
        await nats.PingAsync();
        await sub.UnsubscribeAsync();
        await nats.PublishAsync(subject, "late");
        await nats.PingAsync();
        await sub.Msgs.Completion.WaitAsync(Wait);
        Assert.False(sub.Msgs.TryRead(out _));
    }

    [Fact]
    public async Task SubscribeAsync_yields_messages_until_cancelled()
    {
        await using var nats = Connect();
        var subject = Subjects.Unique("enum");
        using var cts = new CancellationTokenSource(Wait);
        var received = new List<string>();
        var reading = Task.Run(async () =>
        {
            await foreach (var msg in nats.SubscribeAsync(subject, ct: cts.Token))
            {
                received.Add(Encoding.UTF8.GetString(msg.Data.Span));
                if (received.Count == 2)
                {
                    break;
                }
            }
        });
        await Eventually.Until(
            async () =>
            {
                await nats.PublishAsync(subject, "x");
                return reading.IsCompleted;
            },
            Wait,
            "the enumerator should see two messages");
        await reading;
        Assert.Equal(2, received.Count);
    }

    [Fact]
    public async Task Payload_over_max_payload_throws_before_anything_is_sent()
    {
        await using var nats = Connect();
        await nats.ConnectAsync();
        var max = nats.ServerInfo!.MaxPayload;
        var error = await Assert.ThrowsAsync<NatsPayloadTooLargeException>(async () => await nats.PublishAsync(Subjects.Unique("big"), new byte[max + 1]));
        Assert.Contains((max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Contains(max.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        await nats.PingAsync();
        Assert.Equal(NatsConnectionState.Open, nats.ConnectionState);
    }

    [Fact]
    public async Task Echo_off_hides_own_publishes()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = _fixture.Url, Echo = false });
        await using var other = Connect();
        var subject = Subjects.Unique("echo");
        await using var sub = await nats.SubscribeCoreAsync(subject);
        await nats.PingAsync();
        await nats.PublishAsync(subject, "mine");
        await nats.PingAsync();
        await other.PublishAsync(subject, "theirs");
        var msg = await sub.Msgs.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal("theirs", Encoding.UTF8.GetString(msg.Data.Span));
    }

    [Fact]
    public async Task Ping_measures_a_round_trip()
    {
        await using var nats = Connect();
        var rtt = await nats.PingAsync();
        Assert.True(rtt > TimeSpan.Zero);
        await nats.FlushAsync();
    }

    [Fact]
    public async Task Dispose_completes_subscription_channels_and_flushes_publishes()
    {
        var subject = Subjects.Unique("dispose");
        await using var observer = Connect();
        await using var observed = await observer.SubscribeCoreAsync(subject);
        await observer.PingAsync();

        var nats = Connect();
        var sub = await nats.SubscribeCoreAsync(subject + ".other");
        for (var i = 0; i < 100; i++)
        {
            await nats.PublishAsync(subject, "m");
        }

        await nats.DisposeAsync();
        await sub.Msgs.Completion.WaitAsync(Wait);
        Assert.Equal(NatsConnectionState.Closed, nats.ConnectionState);
        await Eventually.Until(() => Task.FromResult(observed.Msgs.Count == 100), Wait, "publishes made before dispose should arrive");
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await nats.PublishAsync(subject, "after"));
    }

    [Fact]
    public async Task Drain_delivers_messages_already_sent_then_closes()
    {
        var subject = Subjects.Unique("drain");
        var nats = Connect();
        var sub = await nats.SubscribeCoreAsync(subject);
        await nats.PingAsync();
        await using var publisher = Connect();
        for (var i = 0; i < 500; i++)
        {
            await publisher.PublishAsync(subject, "m");
        }

        await publisher.PingAsync();
        await nats.DrainAsync();

        var received = 0;
        await foreach (var unused in sub.Msgs.ReadAllAsync().WithCancellation(new CancellationTokenSource(Wait).Token))
        {
            received++;
        }

        Assert.Equal(500, received);
        Assert.Equal(NatsConnectionState.Closed, nats.ConnectionState);
    }

    [Fact]
    public async Task Slow_consumer_drops_messages_and_raises_the_event_once_per_episode()
    {
        var events = 0;
        await using var nats = Connect();
        nats.SlowConsumerDetected += (_, e) => Interlocked.Increment(ref events);
        var subject = Subjects.Unique("slow");
        await using var sub = await nats.SubscribeCoreAsync(subject, opts: new NatsSubOpts { ChannelCapacity = 10 });
        await nats.PingAsync();
        for (var i = 0; i < 100; i++)
        {
            await nats.PublishAsync(subject, "m");
        }

        await nats.PingAsync();
        Assert.Equal(10, sub.Msgs.Count);
        Assert.Equal(1, Volatile.Read(ref events));

        // Reading frees room; the next overflow is a new episode.
        while (sub.Msgs.TryRead(out _))
        {
        }

        for (var i = 0; i < 20; i++)
        {
            await nats.PublishAsync(subject, "m");
        }

        await nats.PingAsync();
        Assert.Equal(10, sub.Msgs.Count);
        Assert.Equal(2, Volatile.Read(ref events));
    }

    [Fact]
    public async Task NewInbox_uses_the_configured_prefix_and_is_unique()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = _fixture.Url, InboxPrefix = "_MY" });
        var a = nats.NewInbox();
        Assert.StartsWith("_MY.", a, StringComparison.Ordinal);
        Assert.NotEqual(a, nats.NewInbox());
    }
}
