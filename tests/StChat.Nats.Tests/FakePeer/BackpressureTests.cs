using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.FakePeer;

public sealed class BackpressureTests
{
    private const int PayloadSize = 4 * 1024;

    [Fact]
    public async Task Publishing_to_a_server_that_stops_reading_waits_instead_of_buffering_without_bound()
    {
        await using var server = new FakeNatsServer();
        const long writerBufferSize = 256 * 1024;
        await using var nats = new NatsConnection(new NatsOpts
        {
            Url = server.Url,
            WriterBufferSize = writerBufferSize,
            RequestTimeout = TimeSpan.FromMilliseconds(500),
        });
        var client = await server.ConnectAsync(nats);

        // The fake no longer reads: once the kernel's socket buffers are full, commands pile up in the client until
        // the high-water mark, and then a publish stays waiting. A publish that waits only while the flush loop
        // catches up completes on its own; that is not yet the stuck state this test is after. (The kernel may still
        // take a late batch after that, so the bound is checked after every publish rather than once at the end.)
        var payload = new byte[PayloadSize];
        long published = 0;
        long mostPending = 0;
        ValueTask blocked = default;
        var sawBlocked = false;
        while (!sawBlocked && published < 512L * 1024 * 1024)
        {
            var publish = nats.PublishAsync("backpressure", payload);
            published += PayloadSize;
            mostPending = Math.Max(mostPending, nats.PendingBytes);
            if (!publish.IsCompleted)
            {
                var task = publish.AsTask();
                if (await Task.WhenAny(task, Task.Delay(TimeSpan.FromMilliseconds(500))) != task)
                {
                    blocked = new ValueTask(task);
                    sawBlocked = true;
                }
            }
        }

        Assert.True(sawBlocked, $"PublishAsync never stayed waiting after {published} bytes to a peer that reads nothing.");

        // Whatever waited in the client is bounded by the high-water mark plus the one command that crossed it.
        Assert.InRange(mostPending, writerBufferSize, writerBufferSize + PayloadSize + 64);

        using var stop = new CancellationTokenSource();
        var discard = client.DiscardInputAsync(stop.Token);
        await blocked.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.Until(() => Task.FromResult(nats.PendingBytes == 0), TimeSpan.FromSeconds(10),
            "every queued byte should be accounted as sent once the peer reads again");

        Assert.False(discard.IsCompleted, "the connection should still be open and being read");
        await stop.CancelAsync();
    }
}
