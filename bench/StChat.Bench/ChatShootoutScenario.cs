using System.Diagnostics;
using System.Globalization;

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

            // One round first, not measured: the new members' first deliveries (buffers, a cold path) are not the
            // steady state the step is about.
            await RoundAsync(target, load, samples: null, ct);
            var step = await MeasureAsync(target, load, ct);
            steps.Add(step);
            BenchEnvironment.Log($"shootout: {target.Name}: {size} clients p95 {step.P95Ms:N0} ms ({step.TimedOut} timed out)");

            // A timed-out broadcast is a sample of at least RoundTimeout, so it fails the step only when enough of
            // them push the p95 over the target.
            if (!(step.P95Ms < Target.TotalMilliseconds))
            {
                reason = $"p95 {step.P95Ms:N0} ms at {size:N0} clients" + (step.TimedOut > 0 ? $" ({step.TimedOut} broadcasts timed out)" : "");
                break;
            }

            largest = size;
        }

        return (steps, largest, reason);
    }

    /// <summary>
    /// The same broadcast rounds at one room size, with every member a client of one Bun process
    /// (<c>bench/node/bun-rounds.ts</c>) instead of a .NET receive loop in this process: a load generator that costs
    /// about the same per delivery whichever server it talks to. PostgreSQL's CPU is not counted.
    /// </summary>
    public async Task<ShootoutStep> RunLightLoadAsync(ChatTarget target, CancellationToken ct)
    {
        var settings = env.Settings;
        var bun = BenchEnvironment.FindBun(env.RepoRoot) ?? throw new InvalidOperationException(BenchEnvironment.BunMissing);
        var room = $"light{Guid.NewGuid():N}"[..20];
        using var json = await ChildProcess.RunForJsonAsync(bun,
        [
            Path.Combine(env.NodeDirectory, "bun-rounds.ts"), target.RoomUriTemplate(room), target.StChat ? "stchat" : "peer",
            Invariant(settings.LightLoadClients), Invariant(settings.ShootoutRounds), Invariant(settings.ChatSenders), Invariant(target.Process.Pid),
        ], TimeSpan.FromMinutes(10), ct);
        var r = json.RootElement;
        double Number(string name) => r.GetProperty(name).GetDouble();
        var step = new ShootoutStep(target.Name, r.GetProperty("clients").GetInt32(), r.GetProperty("broadcasts").GetInt32(),
            r.GetProperty("timedOut").GetInt32(), Number("p50"), Number("p95"), Number("max"))
        {
            Seconds = Number("seconds"),
            Deliveries = r.GetProperty("deliveries").GetInt64(),
            ServerCpuSeconds = Number("serverCpuSeconds"),
            LoadCpuSeconds = Number("loadCpuSeconds"),
        };
        BenchEnvironment.Log($"shootout, light load generator: {target.Name}: {step.Clients} clients p95 {step.P95Ms:N0} ms");
        return step;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private async Task<ShootoutStep> MeasureAsync(ChatTarget target, LoadClients load, CancellationToken ct)
    {
        var settings = env.Settings;
        var planned = settings.ShootoutRounds * settings.ChatSenders;
        var samples = new List<double>();
        var timedOut = 0;
        var frames = load.Sink.Frames;
        var cpu = CpuNow(target);
        var started = Stopwatch.GetTimestamp();
        for (var round = 0; round < settings.ShootoutRounds; round++)
        {
            timedOut += await RoundAsync(target, load, samples, ct);

            // Past 5 % of the planned broadcasts, the p95 is a timed-out one whatever the rest do.
            if (timedOut * 20 > planned)
            {
                break;
            }
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var used = CpuNow(target);
        samples.Sort();
        double Percentile(double q) => samples.Count == 0 ? double.NaN : samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
        return new ShootoutStep(target.Name, load.Clients.Count, samples.Count, timedOut, Percentile(0.5), Percentile(0.95), samples.Count == 0 ? double.NaN : samples[^1])
        {
            Seconds = seconds,
            Deliveries = load.Sink.Frames - frames,
            ServerCpuSeconds = (used.Server - cpu.Server).TotalSeconds,
            LoadCpuSeconds = (used.Load - cpu.Load).TotalSeconds,
            PostgresCpuSeconds = (used.Postgres - cpu.Postgres).TotalSeconds,
        };
    }

    // The three processes that share the cores during a step; while a peer runs, PostgreSQL does only background work.
    private (TimeSpan Server, TimeSpan Load, TimeSpan Postgres) CpuNow(ChatTarget target) => (
        target.Process.CpuTime(),
        ProcessCpu.Of(Environment.ProcessId),
        ProcessCpu.OfPostgres(env.Postgres.DataDirectory));

    // ChatSenders members broadcast at the same moment; each round trip (RoundTimeout for one that does not complete)
    // goes to `samples`. Returns how many timed out.
    private async Task<int> RoundAsync(ChatTarget target, LoadClients load, List<double>? samples, CancellationToken ct)
    {
        var senders = env.Settings.ChatSenders;
        var clients = load.Clients.Count;
        var broadcasts = new List<(long Sent, Broadcast Broadcast)>();
        var sends = new List<Task>();
        for (var s = 0; s < senders; s++)
        {
            var sent = Stopwatch.GetTimestamp() + s;
            broadcasts.Add((sent, load.Sink.Track(sent, clients)));
            sends.Add(load.Clients[s * (clients / senders)].SendAsync(DeliverySink.Message(target.StChat, sent), ct).AsTask());
        }

        await Task.WhenAll(sends);
        var timedOut = 0;
        foreach (var (sent, broadcast) in broadcasts)
        {
            try
            {
                await broadcast.Done.WaitAsync(RoundTimeout, ct);
                samples?.Add(broadcast.RoundTrip.TotalMilliseconds);
            }
            catch (TimeoutException)
            {
                timedOut++;
                samples?.Add(Math.Max(RoundTimeout.TotalMilliseconds, Stopwatch.GetElapsedTime(sent).TotalMilliseconds));
            }

            load.Sink.Untrack(sent);
        }

        return timedOut;
    }
}
