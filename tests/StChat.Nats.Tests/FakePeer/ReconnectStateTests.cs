using Xunit;

namespace StChat.Nats.Tests.FakePeer;

public sealed class ReconnectStateTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    // More than the client's send buffer plus the fake's limited receive buffer can take: the flush loop stalls.
    private const long StallBytes = 32L * 1024 * 1024;
    private const int PayloadSize = 256 * 1024;

    private static NatsOpts Opts(FakeNatsServer server) => new()
    {
        Url = server.Url,
        ReconnectWaitMin = TimeSpan.FromMilliseconds(10),
        ReconnectWaitMax = TimeSpan.FromMilliseconds(50),
        ReconnectJitter = TimeSpan.Zero,
        RequestTimeout = TimeSpan.FromSeconds(30),
    };

    // Queues more than the socket can take while the peer reads nothing, so what is queued next stays in the pipe.
    private static async Task<ValueTask> StallAsync(NatsConnection nats, FakeClient peer)
    {
        peer.LimitReceiveBuffer();
        var payload = new byte[PayloadSize];
        Array.Fill(payload, (byte)'x');
        ValueTask last = default;
        for (long queued = 0; queued < StallBytes; queued += PayloadSize)
        {
            last = nats.PublishAsync("stalled", payload);
        }

        await Task.Yield();
        return last;
    }

    [Fact]
    public async Task Flush_after_a_reconnect_waits_for_its_own_pong()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server) with { WriterBufferSize = long.MaxValue });
        var handshake = server.AcceptAndHandshakeAsync();
        await nats.ConnectAsync();
        var (first, _) = await handshake;

        await StallAsync(nats, first);
        var flush1 = nats.FlushAsync().AsTask();
        first.Close();

        // The new connection gets the stalled publishes again and, after them, the PING of flush1.
        var (second, _) = await server.AcceptAndHandshakeAsync();
        await second.ReadLineStartingWithAsync("PING");
        await second.SendAsync("PONG\r\n");
        await flush1.WaitAsync(Wait);

        await nats.PublishAsync("marker", "m");
        var flush2 = nats.FlushAsync().AsTask();

        // A PING before the marker would be one nobody waits for; its PONG must not reach flush2. Answer it as a server would.
        var pingsBeforeMarker = 0;
        while (await second.ReadLineAsync() is var line && !line.StartsWith("PUB marker ", StringComparison.Ordinal))
        {
            if (line == "PING")
            {
                pingsBeforeMarker++;
                await second.SendAsync("PONG\r\n");
            }
        }

        await second.ReadLineStartingWithAsync("PING");

        // A server PING round trip: every PONG sent before it has been handled by the client when its PONG comes back.
        await second.SendAsync("PING\r\n");
        await second.ReadLineStartingWithAsync("PONG");
        await Task.WhenAny(flush2, Task.Delay(TimeSpan.FromMilliseconds(200)));
        Assert.False(flush2.IsCompleted, "FlushAsync returned before the server answered its PING.");
        Assert.Equal(0, pingsBeforeMarker);

        await second.SendAsync("PONG\r\n");
        await flush2.WaitAsync(Wait);

        using var stop = new CancellationTokenSource();
        var answering = second.AnswerPingsAsync(stop.Token);
        await nats.DisposeAsync();
        await stop.CancelAsync();
        await answering;
    }

    [Fact]
    public async Task Giving_up_reconnecting_fails_every_waiter_and_nothing_stale_reaches_the_next_connection()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server) with { MaxReconnectRetry = 0, WriterBufferSize = 1024 * 1024 });
        var handshake = server.AcceptAndHandshakeAsync();
        await nats.ConnectAsync();
        var (first, _) = await handshake;
        var sub = await nats.SubscribeCoreAsync("old.sub");
        Assert.StartsWith("SUB old.sub ", await first.ReadLineStartingWithAsync("SUB"), StringComparison.Ordinal);

        var publish = (await StallAsync(nats, first)).AsTask();
        Assert.False(publish.IsCompleted, "the last publish should wait for room in the stalled writer");
        var flush = nats.FlushAsync().AsTask();
        first.Close();

        var publishError = await Assert.ThrowsAsync<NatsException>(() => publish.WaitAsync(Wait));
        var flushError = await Assert.ThrowsAsync<NatsException>(() => flush.WaitAsync(Wait));
        var subError = await Assert.ThrowsAsync<NatsException>(() => sub.Msgs.Completion.WaitAsync(Wait));
        Assert.All([publishError, flushError, subError], e => Assert.Contains("Gave up reconnecting", e.Message, StringComparison.Ordinal));
        Assert.Equal(NatsConnectionState.Closed, nats.ConnectionState);
        Assert.Equal(0, nats.PendingBytes);

        // A later connect starts clean: no hours-old PUBs, no SUB of the subscription that was completed.
        handshake = server.AcceptAndHandshakeAsync();
        await nats.ConnectAsync();
        var (next, _) = await handshake;
        await nats.PublishAsync("fresh", "1");
        var flushAgain = nats.FlushAsync().AsTask();
        Assert.Equal("PUB fresh 1", await next.ReadLineAsync());
        Assert.Equal("1", await next.ReadLineAsync());
        Assert.Equal("PING", await next.ReadLineAsync());
        await next.SendAsync("PONG\r\n");
        await flushAgain.WaitAsync(Wait);

        using var stop = new CancellationTokenSource();
        var answering = next.AnswerPingsAsync(stop.Token);
        await nats.DisposeAsync();
        await stop.CancelAsync();
        await answering;
    }
}
