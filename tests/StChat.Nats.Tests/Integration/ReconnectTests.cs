using System.Text;
using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.Integration;

public sealed class ReconnectTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Subscription_survives_a_killed_server_and_publishes_made_while_down_arrive()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { JetStream = false });
        await using var nats = new NatsConnection(new NatsOpts
        {
            Url = server.Url,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(50),
            ReconnectWaitMax = TimeSpan.FromMilliseconds(500),
        });
        var disconnected = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reopened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        nats.ConnectionDisconnected += (_, e) => disconnected.TrySetResult(e.Message);
        nats.ConnectionOpened += (_, _) =>
        {
            if (disconnected.Task.IsCompleted)
            {
                reopened.TrySetResult();
            }
        };

        var subject = Subjects.Unique("reconnect");
        await using var sub = await nats.SubscribeCoreAsync(subject);
        await nats.PublishAsync(subject, "before");
        Assert.Equal("before", Encoding.UTF8.GetString((await sub.Msgs.ReadAsync().AsTask().WaitAsync(Wait)).Data.Span));

        await server.KillAsync();
        await disconnected.Task.WaitAsync(Wait);
        Assert.Equal(NatsConnectionState.Reconnecting, nats.ConnectionState);
        for (var i = 0; i < 10; i++)
        {
            await nats.PublishAsync(subject, $"while-down-{i}");
        }

        await server.RestartAsync();
        await reopened.Task.WaitAsync(Wait);
        await nats.PublishAsync(subject, "after");

        var received = new List<string>();
        for (var i = 0; i < 11; i++)
        {
            received.Add(Encoding.UTF8.GetString((await sub.Msgs.ReadAsync().AsTask().WaitAsync(Wait)).Data.Span));
        }

        Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"while-down-{i}"), "after"], received);
        Assert.Equal(NatsConnectionState.Open, nats.ConnectionState);
    }

    [Fact]
    public async Task Publishing_past_the_reconnect_buffer_throws_and_failed_attempts_are_reported()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { JetStream = false });
        await using var nats = new NatsConnection(new NatsOpts
        {
            Url = server.Url,
            ReconnectBufferSize = 1024,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(20),
            ReconnectWaitMax = TimeSpan.FromMilliseconds(100),
            RequestTimeout = TimeSpan.FromMilliseconds(200),
        });
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnectFailed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        nats.ConnectionDisconnected += (_, _) => disconnected.TrySetResult();
        nats.ReconnectFailed += (_, e) => reconnectFailed.TrySetResult(e.Message);
        await nats.ConnectAsync();

        await server.KillAsync();
        await disconnected.Task.WaitAsync(Wait);
        var payload = new byte[100];
        var accepted = 0;
        var error = await Assert.ThrowsAsync<NatsReconnectBufferFullException>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await nats.PublishAsync("test.buffer.full", payload);
                accepted++;
            }
        });

        Assert.InRange(accepted, 5, 10);
        Assert.Contains("1024", error.Message, StringComparison.Ordinal);
        Assert.Contains("Reconnect attempt", await reconnectFailed.Task.WaitAsync(Wait), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_gives_up_after_max_reconnect_retries_and_completes_subscriptions()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { JetStream = false });
        await using var nats = new NatsConnection(new NatsOpts
        {
            Url = server.Url,
            MaxReconnectRetry = 2,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(10),
            ReconnectWaitMax = TimeSpan.FromMilliseconds(20),
        });
        var sub = await nats.SubscribeCoreAsync(Subjects.Unique("giveup"));
        await nats.PingAsync();

        await server.KillAsync();
        await Assert.ThrowsAsync<NatsException>(() => sub.Msgs.Completion.WaitAsync(Wait));
        Assert.Equal(NatsConnectionState.Closed, nats.ConnectionState);
    }
}
