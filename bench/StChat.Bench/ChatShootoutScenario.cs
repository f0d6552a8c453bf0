using System.Diagnostics;

namespace StChat.Bench;

// The websocket-shootout broadcast method: grow one room step by step; at each size, 4 members broadcast at the same
// time, and a broadcast's round trip ends when the last member has it. The largest room whose p95 stays under 500 ms
// is the result. Growth stops at the first size over the target, at the size limit, or when the time budget is spent.
internal sealed class ChatShootoutScenario(BenchEnvironment env)
{
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(5);

    public async Task<(List<ShootoutStep> Steps, int Largest, string StopReason)> RunAsync(ChatTarget target, CancellationToken ct)
    {
        var settings = env.Settings;
        var sink = new DeliverySink();
        using var load = new LoadClients(sink);
        var room = $"shootout{Guid.NewGuid():N}"[..20];
        var steps = new List<ShootoutStep>();
        var largest = 0;
        var started = Stopwatch.GetTimestamp();
        var reason = $"reached the size limit of {settings.ShootoutMax:N0} clients";
        for (var size = settings.ShootoutStep; size <= settings.ShootoutMax; size += settings.ShootoutStep)
        {
            if (Stopwatch.GetElapsedTime(started) > settings.ShootoutBudget)
            {
                reason = $"time budget of {settings.ShootoutBudget.TotalSeconds:N0} s spent (growing the room costs more at each step)";
                break;
            }

            await load.AddAsync(size - load.Clients.Count, i => target.RoomUri(room, i), ct);
            await load.SettleAsync(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2), ct);
            var step = await MeasureAsync(target, load, ct);
            steps.Add(step);
            BenchEnvironment.Log($"shootout: {target.Name}: {size} clients p95 {step.P95Ms:N0} ms ({step.TimedOut} timed out)");
            if (step.P95Ms >= Target.TotalMilliseconds || step.TimedOut > 0)
            {
                reason = $"p95 {step.P95Ms:N0} ms at {size:N0} clients";
                break;
            }

            largest = size;
        }

        return (steps, largest, reason);
    }

    private async Task<ShootoutStep> MeasureAsync(ChatTarget target, LoadClients load, CancellationToken ct)
    {
        var settings = env.Settings;
        var clients = load.Clients.Count;
        var samples = new List<double>();
        var timedOut = 0;
        for (var round = 0; round < settings.ShootoutRounds; round++)
        {
            var broadcasts = new List<(long Sent, Broadcast Broadcast)>();
            var sends = new List<Task>();
            for (var s = 0; s < settings.ChatSenders; s++)
            {
                var sent = Stopwatch.GetTimestamp() + s;
                broadcasts.Add((sent, load.Sink.Track(sent, clients)));
                sends.Add(load.Clients[s * (clients / settings.ChatSenders)].SendAsync(DeliverySink.Message(target.StChat, sent), ct).AsTask());
            }

            await Task.WhenAll(sends);
            foreach (var (sent, broadcast) in broadcasts)
            {
                try
                {
                    await broadcast.Done.WaitAsync(RoundTimeout, ct);
                    samples.Add(broadcast.RoundTrip.TotalMilliseconds);
                }
                catch (TimeoutException)
                {
                    timedOut++;
                }

                load.Sink.Untrack(sent);
            }

            if (timedOut > 0)
            {
                break;
            }
        }

        samples.Sort();
        double Percentile(double q) => samples.Count == 0 ? double.NaN : samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
        return new ShootoutStep(target.Name, clients, samples.Count, timedOut, Percentile(0.5), Percentile(0.95), samples.Count == 0 ? double.NaN : samples[^1]);
    }
}
