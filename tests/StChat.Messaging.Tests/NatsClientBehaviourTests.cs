using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using StChat.Testing;
using Xunit;

namespace StChat.Messaging.Tests;

// What NATS.Net 3.3.2 does against this nats-server that StChat's design relies on or works around; a library
// upgrade that changes one of these fails here first.
public sealed class NatsClientBehaviourTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(1);

    private NatsServer? _server;

    private NatsServer Server => _server!;

    public async ValueTask InitializeAsync() => _server = await NatsServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private NatsOpts OurOpts() => NatsOptsFactory.Create(new NatsOptions { Url = Server.Url }, NullLoggerFactory.Instance)
        with { CommandTimeout = CommandTimeout };

    [Fact]
    public async Task A_publish_while_disconnected_waits_for_the_server_by_default_and_fails_after_the_command_timeout_with_our_options()
    {
        await using var library = new NatsConnection(new NatsOpts { Url = Server.Url, CommandTimeout = CommandTimeout });
        await using var ours = new NatsConnection(OurOpts());
        await library.ConnectAsync();
        await ours.ConnectAsync();
        await Server.StopAsync();
        await Eventually.Until(
            () => Task.FromResult(library.ConnectionState != NatsConnectionState.Open && ours.ConnectionState != NatsConnectionState.Open),
            Patience, "both clients notice the server is gone");

        var waiting = library.PublishAsync("pin.library", "x").AsTask();
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TaskCanceledException>(async () => await ours.PublishAsync("pin.ours", "x"));
        var failedAfter = clock.Elapsed;

        Assert.InRange(failedAfter, CommandTimeout * 0.9, CommandTimeout * 3);
        await Assert.ThrowsAsync<TimeoutException>(() => waiting.WaitAsync(Max(TimeSpan.Zero, CommandTimeout * 3 - clock.Elapsed)));
        Assert.False(waiting.IsCompleted);

        await Server.RestartAsync();
        await waiting.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_jetstream_publish_refused_by_the_stream_comes_back_in_the_pub_ack_instead_of_being_thrown()
    {
        await using var connection = new NatsConnection(OurOpts());
        var js = new NatsJSContext(connection);
        await js.CreateStreamAsync(new StreamConfig("PIN_FULL", ["pin.full"]) { MaxMsgs = 1, Discard = StreamConfigDiscard.New });

        var first = await js.PublishAsync("pin.full", "a");
        var second = await js.PublishAsync("pin.full", "b");

        Assert.Null(first.Error);
        Assert.NotNull(second.Error);
        Assert.Contains("maximum messages", second.Error.Description, StringComparison.Ordinal);
    }

    // Whether the last acks are lost depends on how far the writer got when dispose came, so each case takes several
    // rounds: on 3.3.2 the library defaults lost acks in about 12 rounds of 20, our options in none.
    [Fact]
    public async Task Acks_queued_just_before_dispose_reach_the_server_with_our_options()
    {
        for (var round = 0; round < 10; round++)
        {
            Assert.Equal((0L, 0UL), await AckPendingAfterAckingAllAndDisposingAsync($"PIN_ACKS_OURS_{round}", OurOpts()));
        }
    }

    [Fact]
    public async Task Acks_queued_just_before_dispose_are_lost_now_and_then_with_the_library_defaults()
    {
        var rounds = new List<long>();
        do
        {
            var (ackPending, _) = await AckPendingAfterAckingAllAndDisposingAsync(
                $"PIN_ACKS_LIB_{rounds.Count}", new NatsOpts { Url = Server.Url });
            rounds.Add(ackPending);
        }
        while (rounds[^1] == 0 && rounds.Count < 20);

        Assert.True(rounds[^1] > 0, $"no ack was lost in {rounds.Count} rounds; DrainSubscriptionsOnDispose may no longer be needed");
    }

    // Fetches every message of a fresh stream, acks each, disposes the connection at once and asks the server what stays
    // unacknowledged.
    private async Task<(long AckPending, ulong Pending)> AckPendingAfterAckingAllAndDisposingAsync(string stream, NatsOpts consumerOpts)
    {
        const int n = 200;
        var subject = stream.ToLowerInvariant();
        await using (var setup = new NatsConnection(OurOpts()))
        {
            var js = new NatsJSContext(setup);
            await js.CreateStreamAsync(new StreamConfig(stream, [subject]));
            await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("pin") { AckPolicy = ConsumerConfigAckPolicy.Explicit });
            for (var i = 0; i < n; i++)
            {
                await setup.PublishAsync(subject, i);
            }

            await setup.PingAsync();
        }

        var consumer = new NatsConnection(consumerOpts);
        var fetched = 0;
        await foreach (var msg in (await new NatsJSContext(consumer).GetConsumerAsync(stream, "pin"))
            .FetchNoWaitAsync<int>(new NatsJSFetchOpts { MaxMsgs = n }))
        {
            await msg.AckAsync();
            fetched++;
        }

        await consumer.DisposeAsync();

        Assert.Equal(n, fetched);

        // JetStream applies acks apart from the connection that sent them, so on a busy machine the consumer can show
        // acks as pending for a moment after they arrived. One that never arrived stays pending for the AckWait (30 s):
        // the probe waits up to 5 s for the count to reach 0, and reports what is still pending then.
        await using var probe = new NatsConnection(new NatsOpts { Url = Server.Url });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var info = (await new NatsJSContext(probe).GetConsumerAsync(stream, "pin")).Info;
            if ((info.NumAckPending == 0 && info.NumPending == 0) || clock.Elapsed > TimeSpan.FromSeconds(5))
            {
                return (info.NumAckPending, info.NumPending);
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_fetch_that_expires_in_under_a_second_is_refused_by_the_client()
    {
        await using var connection = new NatsConnection(OurOpts());
        var js = new NatsJSContext(connection);
        await js.CreateStreamAsync(new StreamConfig("PIN_EXPIRES", ["pin.expires"]));
        var consumer = await js.CreateOrUpdateConsumerAsync("PIN_EXPIRES", new ConsumerConfig("pin"));

        await Assert.ThrowsAsync<NatsJSException>(async () =>
        {
            await foreach (var _ in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = TimeSpan.FromMilliseconds(500) }))
            {
            }
        });
    }

    [Fact]
    public async Task A_consumer_created_with_a_name_is_durable_under_that_name()
    {
        await using var connection = new NatsConnection(OurOpts());
        var js = new NatsJSContext(connection);
        await js.CreateStreamAsync(new StreamConfig("PIN_NAMED", ["pin.named"]));

        var consumer = await js.CreateOrUpdateConsumerAsync("PIN_NAMED", new ConsumerConfig("stchat-pin"));

        Assert.Equal(("stchat-pin", "stchat-pin"), (consumer.Info.Name, consumer.Info.Config.DurableName));
        await Server.RestartAsync();
        await Eventually.Until(async () =>
        {
            try
            {
                return (await js.GetConsumerAsync("PIN_NAMED", "stchat-pin")).Info.Config.DurableName == "stchat-pin";
            }
            catch (NatsException)
            {
                return false;
            }
        }, Patience, "the consumer survives a server restart");
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
