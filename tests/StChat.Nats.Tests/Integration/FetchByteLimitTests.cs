using StChat.Nats.JetStream;
using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.Integration;

public sealed class FetchByteLimitTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Fetch_receives_a_whole_batch_even_past_the_connections_subscription_byte_limit()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = fixture.Url, SubPendingBytesLimit = 1 });
        var js = new NatsJSContext(nats);
        var stream = $"BL_{Guid.NewGuid():N}"[..16];
        await js.CreateOrUpdateStreamAsync(new StreamConfig { Name = stream, Subjects = [$"{stream}.>"], Storage = StreamStorage.Memory });
        await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { DurableName = "worker" });
        var payload = new byte[1024];
        for (var i = 0; i < 20; i++)
        {
            await js.PublishAsync($"{stream}.a", payload);
        }

        var received = 0;
        await foreach (var msg in js.FetchAsync(stream, "worker", new NatsJSFetchOpts { MaxMsgs = 20, Expires = TimeSpan.FromSeconds(5) }))
        {
            Assert.Equal(1024, msg.Data.Length);
            received++;
        }

        Assert.Equal(20, received);
        await js.DeleteStreamAsync(stream);
    }
}
