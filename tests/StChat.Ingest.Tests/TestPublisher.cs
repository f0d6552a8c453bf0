using NATS.Client.Core;
using StChat.Contracts;
using StChat.Feeds;

namespace StChat.Ingest.Tests;

// Publishes TestFeed messages with plain core NATS, as the field feeds do, paced like the simulator.
internal static class TestPublisher
{
    public static async Task PublishAsync(
        string url, int from, int count, double ratePerSubject = 0, NatsTlsOpts? tls = null, CancellationToken ct = default)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = url, Name = "test-feed", TlsOpts = tls ?? new() });
        await connection.ConnectAsync();
        var pacer = new Pacer(ratePerSubject);
        var sent = 0;
        while (sent < count)
        {
            var due = Math.Min(pacer.Due(), count);
            while (sent < due)
            {
                var i = from + sent;
                await connection.PublishAsync(FeedSubjects.SportEvent, TestFeed.SportEventBytes(i), cancellationToken: ct);
                await connection.PublishAsync(FeedSubjects.Execution, TestFeed.ExecutionBytes(i), cancellationToken: ct);
                sent++;

                // Unpaced: let the server take the stream writes in step rather than in one burst.
                if (ratePerSubject <= 0 && sent % 500 == 0)
                {
                    await connection.PingAsync(ct);
                }
            }

            await pacer.WaitForNextAsync(sent, ct);
        }

        await connection.PingAsync(ct);
    }

    // Publishes raw payloads on one subject, in order, and waits until the server has read them.
    public static async Task PublishRawAsync(string url, params (string Subject, byte[] Payload)[] messages)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = url, Name = "test-feed" });
        foreach (var (subject, payload) in messages)
        {
            await connection.PublishAsync(subject, payload);
        }

        await connection.PingAsync();
    }
}
