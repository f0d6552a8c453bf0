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

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<Exception>(async () => await ours.PublishAsync("pin.ours", "x"));
        Assert.True(clock.Elapsed < Patience, $"our publish failed only after {clock.Elapsed}");

        var waiting = library.PublishAsync("pin.library", "x").AsTask();
        await Assert.ThrowsAsync<TimeoutException>(() => waiting.WaitAsync(CommandTimeout * 3));

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

    [Fact]
    public async Task Acks_queued_just_before_dispose_reach_the_server_with_our_options()
    {
        const int n = 200;
        await using (var setup = new NatsConnection(OurOpts()))
        {
            var js = new NatsJSContext(setup);
            await js.CreateStreamAsync(new StreamConfig("PIN_ACKS", ["pin.acks"]));
            await js.CreateOrUpdateConsumerAsync("PIN_ACKS", new ConsumerConfig("pin") { AckPolicy = ConsumerConfigAckPolicy.Explicit });
            for (var i = 0; i < n; i++)
            {
                await setup.PublishAsync("pin.acks", i);
            }

            await setup.PingAsync();
        }

        var consumer = new NatsConnection(OurOpts());
        var fetched = 0;
        await foreach (var msg in (await new NatsJSContext(consumer).GetConsumerAsync("PIN_ACKS", "pin"))
            .FetchNoWaitAsync<int>(new NatsJSFetchOpts { MaxMsgs = n }))
        {
            await msg.AckAsync();
            fetched++;
        }

        await consumer.DisposeAsync();

        Assert.Equal(n, fetched);
        await using var probe = new NatsConnection(new NatsOpts { Url = Server.Url });
        var info = (await new NatsJSContext(probe).GetConsumerAsync("PIN_ACKS", "pin")).Info;
        Assert.Equal((0L, 0UL), (info.NumAckPending, info.NumPending));
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
}
