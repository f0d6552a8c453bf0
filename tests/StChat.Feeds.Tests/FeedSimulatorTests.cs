using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using StChat.Contracts;
using StChat.Testing;
using Xunit;

namespace StChat.Feeds.Tests;

// The simulator against a real nats-server: its own server per class, because it publishes on the fixed feed subjects.
public sealed class FeedSimulatorTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private NatsConnection Connect() => new(new NatsOpts { Url = nats.Url });

    [Fact]
    public async Task Count_publishes_that_many_decodable_messages_on_each_subject_and_then_returns()
    {
        const int count = 300;
        await using var listener = Connect();
        await using var sportEvents = await listener.SubscribeCoreAsync<byte[]>(FeedSubjects.SportEvent);
        await using var executions = await listener.SubscribeCoreAsync<byte[]>(FeedSubjects.Execution);
        await listener.PingAsync();

        await using var connection = Connect();
        var result = await new FeedSimulator(connection, new FeedsArguments { Count = count, Rate = 0 }, TextWriter.Null, seed: 7)
            .RunAsync().WaitAsync(Patience);

        Assert.Equal(count, result.SportEvents);
        Assert.Equal(count, result.Executions);
        for (var i = 0; i < count; i++)
        {
            var sport = @event.Parser.ParseFrom((await sportEvents.Msgs.ReadAsync().AsTask().WaitAsync(Patience)).Data);
            Assert.True(sport.HasSport && sport.HasMatchTitle && sport.HasDataEvent);
            var trade = execution.Parser.ParseFrom((await executions.Msgs.ReadAsync().AsTask().WaitAsync(Patience)).Data);
            Assert.True(trade.HasSymbol && trade.HasMarket && trade.HasPrice && trade.HasQuantity && trade.HasExecutionEpoch && trade.HasStateSymbol);
        }

        // Nothing beyond the count: a round trip later, both subscriptions are empty.
        await listener.PingAsync();
        Assert.False(sportEvents.Msgs.TryRead(out _));
        Assert.False(executions.Msgs.TryRead(out _));
    }

    [Fact]
    public async Task Rate_paces_the_sends_instead_of_bursting_them()
    {
        await using var connection = Connect();
        var result = await new FeedSimulator(connection, new FeedsArguments { Count = 21, Rate = 40 }, TextWriter.Null)
            .RunAsync().WaitAsync(Patience);

        // 21 sends per subject at 40/s cannot finish before the 21st is due, 20 / 40 s after the first.
        Assert.Equal(21, result.SportEvents);
        Assert.True(result.Elapsed >= TimeSpan.FromMilliseconds(450), $"21 sends at 40/s took only {result.Elapsed}.");
    }

    [Fact]
    public async Task Msg_id_publishes_through_jetstream_with_a_distinct_message_id_per_message()
    {
        const int count = 40;
        await using var connection = Connect();
        var js = new NatsJSContext(connection);
        var stream = UniqueStream();
        await js.CreateStreamAsync(new StreamConfig(stream, [.. FeedSubjects.All]));
        try
        {
            var result = await new FeedSimulator(connection, new FeedsArguments { Count = count, Rate = 0, UseMsgId = true }, TextWriter.Null)
                .RunAsync().WaitAsync(Patience);
            Assert.Equal(count, result.SportEvents);
            Assert.Equal(0, result.Duplicates);

            var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("check"));
            var ids = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 2 * count, Expires = TimeSpan.FromSeconds(5) }))
            {
                Assert.True(msg.Headers is not null && msg.Headers.TryGetValue("Nats-Msg-Id", out var id) && ids.Add(id.ToString()),
                    $"message {msg.Metadata?.Sequence.Stream} has no Nats-Msg-Id of its own");
            }

            Assert.Equal(2 * count, ids.Count);
        }
        finally
        {
            await js.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task Msg_id_stops_with_the_reason_when_jetstream_refuses_a_message()
    {
        await using var connection = Connect();
        var js = new NatsJSContext(connection);
        var stream = UniqueStream();

        // A full stream that discards new messages answers the publish with an error in the PubAck.
        await js.CreateStreamAsync(new StreamConfig(stream, [.. FeedSubjects.All]) { MaxMsgs = 3, Discard = StreamConfigDiscard.New });
        try
        {
            var simulator = new FeedSimulator(connection, new FeedsArguments { Count = 10, Rate = 0, UseMsgId = true }, TextWriter.Null);

            var e = await Assert.ThrowsAsync<NatsJSException>(() => simulator.RunAsync().WaitAsync(Patience));

            Assert.Contains("JetStream refused message", e.Message, StringComparison.Ordinal);
            Assert.Contains("maximum messages", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await js.DeleteStreamAsync(stream);
        }
    }

    private static string UniqueStream() => $"FEEDSIM{Guid.NewGuid():N}"[..20].ToUpperInvariant();
}
