using Xunit;

namespace StChat.Nats.Tests.FakePeer;

public sealed class SubscriptionByteLimitTests
{
    private static NatsOpts Opts(FakeNatsServer server) => new()
    {
        Url = server.Url,
        RequestTimeout = TimeSpan.FromMilliseconds(500),
    };

    private static Task SendMsgAsync(FakeClient peer, string subject, int sid, int size) =>
        peer.SendAsync($"MSG {subject} {sid} {size}\r\n{new string('x', size)}\r\n");

    // A server PING round trip: every MSG sent before it has been delivered when the client's PONG arrives.
    private static async Task BarrierAsync(FakeClient peer)
    {
        await peer.SendAsync("PING\r\n");
        await peer.ReadLineStartingWithAsync("PONG");
    }

    private static async Task<(FakeClient Peer, NatsSubscription Sub, int Sid)> SubscribeAsync(FakeNatsServer server, NatsConnection nats, NatsSubOpts? opts = null)
    {
        var handshake = server.AcceptAndHandshakeAsync();
        await nats.ConnectAsync();
        var (peer, _) = await handshake;
        var sub = await nats.SubscribeCoreAsync("bytes", opts: opts);
        var line = await peer.ReadLineStartingWithAsync("SUB bytes ");
        return (peer, sub, int.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Messages_past_the_byte_limit_are_dropped_and_reading_makes_room_again()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server) with { SubPendingBytesLimit = 1000 });
        var events = 0;
        nats.SlowConsumerDetected += (_, _) => Interlocked.Increment(ref events);
        var (peer, sub, sid) = await SubscribeAsync(server, nats);

        for (var i = 0; i < 3; i++)
        {
            await SendMsgAsync(peer, "bytes", sid, 400);
        }

        await BarrierAsync(peer);
        Assert.Equal(2, sub.Msgs.Count);
        Assert.Equal(1, Volatile.Read(ref events));

        // Reading one gives its bytes back: the next message fits, the one after it does not.
        Assert.Equal(400, (await sub.Msgs.ReadAsync()).Data.Length);
        await SendMsgAsync(peer, "bytes", sid, 400);
        await SendMsgAsync(peer, "bytes", sid, 400);
        await BarrierAsync(peer);
        Assert.Equal(2, sub.Msgs.Count);
        Assert.Equal(2, Volatile.Read(ref events));

        var drained = 0;
        await foreach (var msg in sub.Msgs.ReadAllAsync())
        {
            drained++;
            if (drained == 2)
            {
                break;
            }
        }

        await SendMsgAsync(peer, "bytes", sid, 900);
        await BarrierAsync(peer);
        Assert.Equal(1, sub.Msgs.Count);
    }

    [Fact]
    public async Task The_subscription_option_overrides_the_limit_and_a_lone_large_message_still_gets_through()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server));
        var (peer, sub, sid) = await SubscribeAsync(server, nats, new NatsSubOpts { PendingBytesLimit = 300 });

        await SendMsgAsync(peer, "bytes", sid, 400);
        await SendMsgAsync(peer, "bytes", sid, 10);
        await BarrierAsync(peer);

        Assert.Equal(1, sub.Msgs.Count);
        Assert.True(sub.Msgs.TryRead(out var msg));
        Assert.Equal(400, msg.Data.Length);
    }

    [Fact]
    public async Task A_non_positive_byte_limit_is_refused()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = "nats://127.0.0.1:1" });
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            async () => await nats.SubscribeCoreAsync("x", opts: new NatsSubOpts { PendingBytesLimit = 0 }));
    }
}
