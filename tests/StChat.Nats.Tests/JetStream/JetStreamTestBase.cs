using StChat.Nats.JetStream;
using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.JetStream;

// A connection and JetStream context per test against the class's nats-server; every stream gets a fresh name.
public abstract class JetStreamTestBase(NatsServerFixture fixture) : IAsyncLifetime
{
    private NatsConnection? _nats;

    protected NatsConnection Nats => _nats ?? throw new InvalidOperationException("Not initialized.");

    protected NatsJSContext Js { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _nats = new NatsConnection(new NatsOpts { Url = fixture.Url, Name = GetType().Name });
        await _nats.ConnectAsync();
        Js = new NatsJSContext(_nats);
    }

    public async Task DisposeAsync()
    {
        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }
    }

    protected static string UniqueName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    // A file stream on "<name>.>" with the defaults; returns its name.
    protected async Task<string> CreateStreamAsync(Func<StreamConfig, StreamConfig>? configure = null)
    {
        var name = UniqueName("S");
        var config = new StreamConfig { Name = name, Subjects = [$"{name}.>"] };
        await Js.CreateOrUpdateStreamAsync(configure is null ? config : configure(config));
        return name;
    }

    protected Task<ConsumerInfo> CreateConsumerAsync(string stream, string durable, TimeSpan? ackWait = null) =>
        Js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { DurableName = durable, AckWait = ackWait ?? TimeSpan.FromSeconds(30) }).AsTask();

    protected async Task PublishManyAsync(string subject, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await Js.PublishAsync(subject, new[] { (byte)('a' + i) });
        }
    }

    protected async Task<List<NatsJSMsg>> FetchAllAsync(string stream, string consumer, NatsJSFetchOpts opts, CancellationToken ct = default)
    {
        var msgs = new List<NatsJSMsg>();
        await foreach (var msg in Js.FetchAsync(stream, consumer, opts, ct))
        {
            msgs.Add(msg);
        }

        return msgs;
    }
}
