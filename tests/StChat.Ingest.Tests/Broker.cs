using StChat.Nats;
using StChat.Nats.JetStream;
using StChat.Testing;

namespace StChat.Ingest.Tests;

// Asks the broker about the ingest stream and consumer.
internal static class Broker
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static async Task WaitForConsumerAsync(string url, string stream, string consumer)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = url, Name = "test-probe" });
        var js = new NatsJSContext(connection);
        await Eventually.Until(
            async () => (await js.GetConsumerAsync(stream, consumer)).Config.DurableName == consumer,
            Patience,
            $"the worker creates stream {stream} and consumer {consumer}");
    }

    public static async Task<long> AckPendingAsync(string url, string stream, string consumer)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = url, Name = "test-probe" });
        return (long)(await new NatsJSContext(connection).GetConsumerAsync(stream, consumer)).NumAckPending;
    }

    public static async Task WaitUntilAllAcknowledgedAsync(string url, string stream, string consumer)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = url, Name = "test-probe" });
        var js = new NatsJSContext(connection);
        await Eventually.Until(
            async () => await js.GetConsumerAsync(stream, consumer) is { NumAckPending: 0, NumPending: 0 },
            Patience,
            $"consumer {consumer} has nothing pending and nothing unacknowledged");
    }
}
