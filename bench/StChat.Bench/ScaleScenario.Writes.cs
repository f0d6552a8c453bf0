using System.Diagnostics;
using Npgsql;

namespace StChat.Bench;

internal sealed partial class ScaleScenario
{
    private static long _lastTimestamp;

    // The chat_log write limit through the real server: the same senders, either all in one room or one in each of as
    // many rooms. Each sends its next message as soon as the last one comes back (committed and fanned out), so the
    // rate is what one node and the one PostgreSQL primary sustain. Counted from chat_room.last_seq, the rooms'
    // committed sequence numbers.
    private async Task<ScaleWriteRun> RunWritesAsync(ChatTarget node, string connectionString, bool oneRoom, CancellationToken ct)
    {
        var s = _settings;
        var senders = s.WriteSenders;

        // One message in flight per sender: a session reads its next message only once the last one is committed, so
        // more would only queue in the socket and add to the measured round trip.
        const int depth = 1;
        var sink = new DeliverySink();
        using var load = new LoadClients(sink);
        var prefix = $"w{Guid.NewGuid():N}"[..12];
        await load.AddAsync(senders, i => node.RoomUri(oneRoom ? prefix : $"{prefix}r{i}", i), ct);
        await load.SettleAsync(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), ct);

        var acks = new LatencyHistogram();
        var window = new WriteWindow();
        var timedOut = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var loops = load.Clients.SelectMany(client =>
        {
            var sendLock = new SemaphoreSlim(1, 1);
            return Enumerable.Range(0, depth).Select(_ => Task.Run(async () =>
            {
                if (!await ClosedLoopAsync(client, sendLock, sink, acks, window, stop.Token))
                {
                    Interlocked.Increment(ref timedOut);
                }
            }, CancellationToken.None));
        }).ToArray();

        // A second of warm-up, then the measured window.
        await Task.Delay(1000, ct);
        var eventsBefore = await CommittedEventsAsync(connectionString, ct);
        var cpuBefore = node.Process.CpuTime();
        window.Start = Stopwatch.GetTimestamp();
        await Task.Delay(s.WriteDuration, ct);
        var events = await CommittedEventsAsync(connectionString, ct) - eventsBefore;
        window.End = Stopwatch.GetTimestamp();
        var seconds = Stopwatch.GetElapsedTime(window.Start, window.End).TotalSeconds;
        var cpu = (node.Process.CpuTime() - cpuBefore).TotalSeconds / seconds * 100;
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        var spread = oneRoom ? $"{senders} senders in one room" : $"{senders} rooms, one sender each";
        BenchEnvironment.Log($"scale: chat_log writes, {spread}: {events / seconds:N0} events/s, ack p50 {acks.PercentileMs(0.5):N1} ms");
        return new ScaleWriteRun(spread, oneRoom ? 1 : senders, senders, depth * senders, seconds, events, events / seconds,
            acks.PercentileMs(0.5), acks.PercentileMs(0.99), timedOut, cpu);
    }

    // Send, wait for the message to come back, repeat. False when a message did not come back within 10 s (the loop
    // then stops, so a lost message shows as a timeout rather than a hang).
    private static async Task<bool> ClosedLoopAsync(
        WsLoadClient client, SemaphoreSlim sendLock, DeliverySink sink, LatencyHistogram acks, WriteWindow window, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var sent = UniqueTimestamp();
                var broadcast = sink.Track(sent, receivers: 1);
                try
                {
                    await sendLock.WaitAsync(ct);
                    try
                    {
                        await client.SendAsync(DeliverySink.Message(stchat: true, sent), ct);
                    }
                    finally
                    {
                        sendLock.Release();
                    }

                    await broadcast.Done.WaitAsync(TimeSpan.FromSeconds(10), ct);
                }
                finally
                {
                    sink.Untrack(sent);
                }

                if (window.Contains(sent))
                {
                    acks.Record(broadcast.RoundTrip);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (TimeoutException)
        {
            return false;
        }

        return true;
    }

    // Timestamps double as message ids in the sink, so two senders must never use the same one.
    private static long UniqueTimestamp()
    {
        while (true)
        {
            var last = Interlocked.Read(ref _lastTimestamp);
            var next = Math.Max(Stopwatch.GetTimestamp(), last + 1);
            if (Interlocked.CompareExchange(ref _lastTimestamp, next, last) == last)
            {
                return next;
            }
        }
    }

    private static async Task<long> CommittedEventsAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT coalesce(sum(last_seq), 0)::bigint FROM chat_room", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private sealed class WriteWindow
    {
        public long Start { get; set; } = long.MaxValue;

        public long End { get; set; } = long.MaxValue;

        public bool Contains(long timestamp) => timestamp >= Start && timestamp <= End;
    }
}
