using System.Globalization;
using System.Threading.Channels;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
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

    /// <summary>
    /// Publishes messages from..from+count-1 on both subjects through JetStream, each with a Nats-Msg-Id and retried
    /// until the stream acknowledges it: through a node failure, a publish whose ack was lost is sent again and the
    /// stream's duplicate window drops the second copy. So when this returns, every message is in the stream exactly
    /// once, and the count the test checks against is exact. Returns how many publishes were sent again and how many of
    /// those the stream reported as duplicates.
    /// </summary>
    public static async Task<(long Retries, long Duplicates)> PublishWithAcksAsync(
        string url, int from, int count, double ratePerSubject, int concurrency = 16, CancellationToken ct = default)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = url, Name = "test-feed-js" });
        await connection.ConnectAsync();
        var js = new NatsJSContext(connection);
        var due = Channel.CreateBounded<int>(concurrency * 4);
        long retries = 0, duplicates = 0;

        async Task PublishDueAsync()
        {
            await foreach (var i in due.Reader.ReadAllAsync(ct))
            {
                var id = i.ToString(CultureInfo.InvariantCulture);
                var sport = await PublishUntilStoredAsync(js, FeedSubjects.SportEvent, TestFeed.SportEventBytes(i), "sport_event-" + id, ct);
                var execution = await PublishUntilStoredAsync(js, FeedSubjects.Execution, TestFeed.ExecutionBytes(i), "execution-" + id, ct);
                Interlocked.Add(ref retries, sport.Retries + execution.Retries);
                Interlocked.Add(ref duplicates, (sport.Duplicate ? 1 : 0) + (execution.Duplicate ? 1 : 0));
            }
        }

        var publishers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(PublishDueAsync, ct)).ToArray();
        var pacer = new Pacer(ratePerSubject);
        try
        {
            for (var sent = 0; sent < count;)
            {
                for (var until = Math.Min(pacer.Due(), count); sent < until; sent++)
                {
                    await due.Writer.WriteAsync(from + sent, ct);
                }

                await pacer.WaitForNextAsync(sent, ct);
            }
        }
        finally
        {
            due.Writer.Complete();
        }

        await Task.WhenAll(publishers);
        return (retries, duplicates);
    }

    // Duplicate: the stream already had the message (an earlier attempt was stored but its ack was lost).
    private static async Task<(int Retries, bool Duplicate)> PublishUntilStoredAsync(INatsJSContext js, string subject, byte[] payload, string msgId, CancellationToken ct)
    {
        var patience = TimeSpan.FromSeconds(60);
        var started = DateTime.UtcNow;
        var wait = TimeSpan.FromMilliseconds(50);
        for (var attempt = 1; ; attempt++)
        {
            string failure;
            try
            {
                var ack = await js.PublishAsync(subject, payload, opts: new NatsJSPubOpts { MsgId = msgId }, cancellationToken: ct);
                if (ack.Error is null)
                {
                    return (attempt - 1, ack.Duplicate);
                }

                // 503: no stream leader for now (an election after a node died); anything else is a real refusal.
                if (ack.Error.Code != 503)
                {
                    throw new InvalidOperationException($"JetStream refused {msgId}: {ack.Error.Description} ({ack.Error.ErrCode})");
                }

                failure = ack.Error.Description ?? "503";
            }
            catch (Exception e) when (e is NatsException or TimeoutException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                failure = e.Message;
            }

            if (DateTime.UtcNow - started > patience)
            {
                throw new TimeoutException($"{msgId} was not acknowledged in {patience} ({attempt} attempts; last: {failure})");
            }

            // Backoff between attempts while the cluster elects a new leader or the client reconnects.
            await Task.Delay(wait, ct);
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
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
