using System.Diagnostics;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace StChat.Bench;

// The fast way to put many messages into a stream: core publishes (no ack each), then wait until the stream counts
// them, since a flush only says the server has read them, not that the stream has stored them.
internal static class StreamFill
{
    private const int FlushEvery = 5_000;

    public static async Task PublishCoreAsync(INatsConnection nats, string[] subjects, byte[][] payloads, int count, CancellationToken ct)
    {
        for (var i = 0; i < count; i++)
        {
            await nats.PublishAsync(subjects[i], payloads[i], cancellationToken: ct);
            if (i % FlushEvery == FlushEvery - 1)
            {
                await nats.PingAsync(ct);
            }
        }

        await nats.PingAsync(ct);
    }

    public static async Task WaitUntilStoredAsync(INatsJSContext js, string stream, long expected, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        while (true)
        {
            var messages = (await js.GetStreamAsync(stream, cancellationToken: ct)).Info.State.Messages;
            if (messages >= expected)
            {
                return;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new InvalidOperationException($"The stream {stream} holds {messages} of {expected} published messages.");
            }

            await Task.Delay(20, ct);
        }
    }
}
