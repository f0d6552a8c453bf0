using NATS.Client.Core;
using NATS.Client.JetStream;
using StChat.Testing;

namespace StChat.Ingest.Tests;

// Asks the broker about the ingest stream and consumer.
internal static class Broker
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static NatsConnection Connect(string url, NatsTlsOpts? tls = null) =>
        new(new NatsOpts { Url = url, Name = "test-probe", TlsOpts = tls ?? new() });

    public static async Task WaitForConsumerAsync(string url, string stream, string consumer, NatsTlsOpts? tls = null)
    {
        await using var connection = Connect(url, tls);
        var js = new NatsJSContext(connection);
        await Eventually.Until(
            async () =>
            {
                try
                {
                    return (await js.GetConsumerAsync(stream, consumer)).Info.Config.DurableName == consumer;
                }
                catch (NatsJSApiException)
                {
                    return false;
                }
            },
            Patience,
            $"the worker creates stream {stream} and consumer {consumer}");
    }

    public static async Task<long> AckPendingAsync(string url, string stream, string consumer)
    {
        await using var connection = Connect(url);
        return (await new NatsJSContext(connection).GetConsumerAsync(stream, consumer)).Info.NumAckPending;
    }

    public static async Task WaitUntilAllAcknowledgedAsync(string url, string stream, string consumer, NatsTlsOpts? tls = null)
    {
        await using var connection = Connect(url, tls);
        var js = new NatsJSContext(connection);
        await Eventually.Until(
            async () => (await js.GetConsumerAsync(stream, consumer)).Info is { NumAckPending: 0, NumPending: 0 },
            Patience,
            $"consumer {consumer} has nothing pending and nothing unacknowledged");
    }
}
