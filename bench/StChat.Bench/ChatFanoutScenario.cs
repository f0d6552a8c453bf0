using System.Diagnostics;

namespace StChat.Bench;

// Rooms of 100, 1,000 and 5,000 clients; 4 members send at a steady total rate; every member receives every message.
internal sealed class ChatFanoutScenario(BenchEnvironment env)
{
    public async Task<FanoutResult> RunAsync(ChatTarget target, int clients, CancellationToken ct)
    {
        var settings = env.Settings;
        var sink = new DeliverySink();
        using var load = new LoadClients(sink);
        var room = $"fanout{clients}x{Guid.NewGuid():N}"[..24];
        var joinStarted = Stopwatch.GetTimestamp();
        await load.AddAsync(clients, i => target.RoomUri(room, i), ct);
        await load.SettleAsync(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(3), ct);
        var joinSeconds = Stopwatch.GetElapsedTime(joinStarted).TotalSeconds;
        BenchEnvironment.Log($"chat: {target.Name}: {clients} clients joined in {joinSeconds:N1} s");

        double? idle = target.StChat ? await IdleAllocationAsync(target, settings.ChatDuration, ct) : null;
        var allocatedBefore = target.StChat ? await ServerAllocations.ReadAsync(target.HttpUri, ct) : 0;
        sink.ResetLatency();
        var cpuBefore = target.Process.CpuTime();
        var started = Stopwatch.GetTimestamp();
        var senders = Enumerable.Range(0, settings.ChatSenders).Select(s => SendAtRateAsync(
            load.Clients[s * (clients / settings.ChatSenders)], target.StChat, (double)settings.ChatSendRate / settings.ChatSenders,
            settings.ChatDuration, ct)).ToArray();
        var sent = (await Task.WhenAll(senders)).Sum();
        var expected = sent * clients;
        var drainUntil = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (sink.Latency.Count < expected && Stopwatch.GetTimestamp() < drainUntil)
        {
            await Task.Delay(20, ct);
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = (target.Process.CpuTime() - cpuBefore).TotalSeconds / seconds * 100;
        var latency = sink.Latency;
        BenchEnvironment.Log($"chat: {target.Name}: {clients} clients: {latency.Count:N0}/{expected:N0} deliveries, p99 {latency.PercentileMs(0.99):N1} ms");
        FanoutAllocation? allocation = null;
        if (idle is { } idleRate)
        {
            var allocated = await ServerAllocations.ReadAsync(target.HttpUri, ct) - allocatedBefore;
            allocation = new FanoutAllocation(sent, allocated, (long)(idleRate * seconds));
            BenchEnvironment.Log($"chat: {target.Name}: {clients} clients: {allocation.Bytes:N0} bytes allocated ({allocation.IdleBytes:N0} of them " +
                $"at the idle rate): {allocation.Bytes / (double)sent:N0} per event, {allocation.Bytes / (double)Math.Max(1, latency.Count):N1} per delivery");
        }

        return new FanoutResult(target.Name, clients, settings.ChatSendRate, seconds, latency.Count, expected, latency.Count / seconds,
            latency.PercentileMs(0.5), latency.PercentileMs(0.95), latency.PercentileMs(0.99), cpu, joinSeconds)
        {
            Allocation = allocation,
        };
    }

    // Bytes per second the server allocates with the room joined and nobody sending (keep-alives, metrics, timers):
    // taken off the steady phase's figure so that what is left is the cost of the messages.
    private static async Task<double> IdleAllocationAsync(ChatTarget target, TimeSpan duration, CancellationToken ct)
    {
        var before = await ServerAllocations.ReadAsync(target.HttpUri, ct);
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(duration, ct);
        var allocated = await ServerAllocations.ReadAsync(target.HttpUri, ct) - before;
        return allocated / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    internal static async Task<long> SendAtRateAsync(WsLoadClient client, bool stchat, double rate, TimeSpan duration, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        long sent = 0;
        var total = (long)(rate * duration.TotalSeconds);
        while (sent < total)
        {
            var due = Math.Min(total, (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * rate) + 1);
            while (sent < due)
            {
                await client.SendAsync(DeliverySink.Message(stchat, Stopwatch.GetTimestamp()), ct);
                sent++;
            }

            await Task.Delay(5, ct);
        }

        return sent;
    }
}
