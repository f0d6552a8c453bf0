using System.Globalization;
using System.Net.Http;
using System.Text.Json;
using StChat.Nats.JetStream;
using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.JetStream;

// Watches the server's subscription count (monitoring endpoint /subsz) to prove each fetch's inbox goes away.
public sealed class FetchInboxTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new();
    private readonly int _monitorPort = TestPorts.GetFreeTcpPort();
    private NatsServer _server = null!;
    private NatsConnection _nats = null!;
    private NatsJSContext _js = null!;
    private string _stream = null!;

    public async Task InitializeAsync()
    {
        _server = await NatsServer.StartAsync(new NatsServerOptions { ExtraArgs = ["-m", _monitorPort.ToString(CultureInfo.InvariantCulture)] });
        _nats = new NatsConnection(new NatsOpts { Url = _server.Url });
        _js = new NatsJSContext(_nats);
        _stream = $"S_{Guid.NewGuid():N}";
        await _js.CreateOrUpdateStreamAsync(new StreamConfig { Name = _stream, Subjects = [$"{_stream}.>"] });
        await _js.CreateOrUpdateConsumerAsync(_stream, new ConsumerConfig { DurableName = "worker" });
        for (var i = 0; i < 3; i++)
        {
            await _js.PublishAsync($"{_stream}.a", new byte[] { (byte)i });
        }
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Completed_fetch_unsubscribes_its_inbox()
    {
        var baseline = await SubscriptionCountAsync();

        await foreach (var msg in _js.FetchAsync(_stream, "worker", new NatsJSFetchOpts { MaxMsgs = 10, NoWait = true }))
        {
            await msg.AckAsync();
        }

        await AssertBackToAsync(baseline);
    }

    [Fact]
    public async Task Fetch_left_early_unsubscribes_its_inbox()
    {
        var baseline = await SubscriptionCountAsync();

        await foreach (var msg in _js.FetchAsync(_stream, "worker", new NatsJSFetchOpts { MaxMsgs = 10, Expires = TimeSpan.FromSeconds(30) }))
        {
            Assert.Equal(baseline + 1, await SubscriptionCountAsync());
            break;
        }

        await AssertBackToAsync(baseline);
    }

    [Fact]
    public async Task Cancelled_fetch_unsubscribes_its_inbox()
    {
        var baseline = await SubscriptionCountAsync();
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var msg in _js.FetchAsync(_stream, "worker", new NatsJSFetchOpts { MaxMsgs = 10, Expires = TimeSpan.FromSeconds(30) }, cts.Token))
            {
                await msg.AckAsync();
                await cts.CancelAsync();
            }
        });

        await AssertBackToAsync(baseline);
    }

    private Task AssertBackToAsync(int baseline) =>
        Eventually.Until(
            async () => await SubscriptionCountAsync() == baseline,
            TimeSpan.FromSeconds(5),
            $"the fetch inbox should be unsubscribed, leaving {baseline} subscriptions");

    private async Task<int> SubscriptionCountAsync()
    {
        // The server's monitoring lags the client by a round trip; flush so earlier SUB/UNSUBs are counted.
        await _nats.FlushAsync();
        var json = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{_monitorPort}/subsz"));
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("num_subscriptions").GetInt32();
    }
}
