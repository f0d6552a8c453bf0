using StChat.Nats.JetStream;
using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.JetStream;

public sealed class JetStreamUnavailableTests
{
    [Fact]
    public async Task Api_call_to_a_server_without_jetstream_says_jetstream_is_not_enabled()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { JetStream = false });
        await using var nats = new NatsConnection(new NatsOpts { Url = server.Url });
        var js = new NatsJSContext(nats);

        var ex = await Assert.ThrowsAsync<NatsJSException>(async () => await js.GetStreamAsync("ANY"));

        Assert.IsNotType<NatsJSApiException>(ex);
        Assert.Contains("JetStream is not enabled", ex.Message, StringComparison.Ordinal);
        Assert.IsType<NatsNoRespondersException>(ex.InnerException);
    }
}
