using System.Diagnostics;

namespace StChat.Bench;

internal sealed partial class ScaleScenario
{
    // One room, its members split evenly over the nodes; every sender is on the first node, so members of the others
    // receive each event over NATS and their latency is the cross-node figure.
    private async Task<ScaleFanoutRun> RunFanoutAsync(ChatTarget[] nodes, CancellationToken ct)
    {
        var s = _settings;
        var sinks = nodes.Select(_ => new DeliverySink()).ToArray();
        var loads = sinks.Select(sink => new LoadClients(sink)).ToArray();
        try
        {
            var room = $"scale{nodes.Length}n{Guid.NewGuid():N}"[..24];
            var perNode = s.FanoutClients / nodes.Length;
            for (var n = 0; n < nodes.Length; n++)
            {
                var offset = n * perNode;
                var count = n == nodes.Length - 1 ? s.FanoutClients - offset : perNode;
                var node = nodes[n];
                await loads[n].AddAsync(count, i => node.RoomUri(room, offset + i), ct);
            }

            foreach (var load in loads)
            {
                await load.SettleAsync(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2), ct);
            }

            foreach (var sink in sinks)
            {
                sink.ResetLatency();
            }

            var cpuBefore = nodes.Select(n => n.Process.CpuTime()).ToArray();
            var started = Stopwatch.GetTimestamp();
            var senders = Enumerable.Range(0, s.Senders).Select(i => ChatFanoutScenario.SendAtRateAsync(
                loads[0].Clients[i * (loads[0].Clients.Count / s.Senders)], stchat: true, (double)s.SendRate / s.Senders, s.FanoutDuration, ct)).ToArray();
            var sent = (await Task.WhenAll(senders)).Sum();
            var expected = sent * s.FanoutClients;
            var drainUntil = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
            while (sinks.Sum(k => k.Latency.Count) < expected && Stopwatch.GetTimestamp() < drainUntil)
            {
                await Task.Delay(20, ct);
            }

            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var cpu = nodes.Select((n, i) => (n.Process.CpuTime() - cpuBefore[i]).TotalSeconds).Sum() / seconds * 100;
            var all = new LatencyHistogram();
            foreach (var sink in sinks)
            {
                all.Add(sink.Latency);
            }

            var same = sinks[0].Latency;
            var cross = nodes.Length > 1 ? sinks[1].Latency : null;
            BenchEnvironment.Log($"scale: fan-out on {nodes.Length} node(s): {all.Count:N0}/{expected:N0} deliveries, p50 {all.PercentileMs(0.5):N1} ms, " +
                $"p99 {all.PercentileMs(0.99):N1} ms" + (cross is null ? "" : $", cross-node p50 {cross.PercentileMs(0.5):N1} ms p99 {cross.PercentileMs(0.99):N1} ms"));
            return new ScaleFanoutRun(nodes.Length, s.FanoutClients, s.Senders, s.SendRate, seconds, all.Count, expected, all.Count / seconds,
                all.PercentileMs(0.5), all.PercentileMs(0.99), same.PercentileMs(0.5), same.PercentileMs(0.99),
                cross?.PercentileMs(0.5) ?? double.NaN, cross?.PercentileMs(0.99) ?? double.NaN, cpu);
        }
        finally
        {
            foreach (var load in loads)
            {
                load.Dispose();
            }
        }
    }
}
