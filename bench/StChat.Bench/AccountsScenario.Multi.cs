using System.Diagnostics;
using System.Text;

namespace StChat.Bench;

internal sealed partial class AccountsScenario
{
    // Many signed-in /ws sockets, each following 20 public rooms. Sockets are spread over the accounts, and all the
    // sockets of one account follow the same 20 rooms (one person's tabs and devices), so the join events and follow
    // rows cost once per account and room. One follower per room
    // sends into it, round-robin over the rooms at a steady total rate, with an id so that the server acks the commit;
    // every follower of the room receives the event. The rate rises in steps.
    private async Task MultiAsync(ChatTarget target, string[] tokens, AccountsResult result, CancellationToken ct)
    {
        var settings = env.Settings;
        var sockets = settings.MultiSockets;
        var perSocket = Math.Min(settings.MultiConversationsPerSocket, settings.MultiRooms);
        var roomsOf = AssignRooms(tokens.Length, settings.MultiRooms, perSocket);

        var sink = new DeliverySink();
        using var load = new LoadClients(sink);
        var setupStarted = Stopwatch.GetTimestamp();
        await load.AddAsync(sockets, i => target.MultiUri(tokens[i % tokens.Length]), ct);
        await SubscribeAsync(load, i => roomsOf[i % tokens.Length], ct);
        var setupSeconds = Stopwatch.GetElapsedTime(setupStarted).TotalSeconds;

        var followers = new Dictionary<string, int>(StringComparer.Ordinal);
        var senders = new List<(WsLoadClient Client, string Room)>();
        var sending = new HashSet<int>();
        for (var i = 0; i < sockets; i++)
        {
            foreach (var room in roomsOf[i % tokens.Length])
            {
                followers[room] = followers.GetValueOrDefault(room) + 1;
            }
        }

        // Spread the sending over as many sockets as there are rooms: each room's sender is a follower not already
        // sending elsewhere when there is one.
        foreach (var room in followers.Keys.Order(StringComparer.Ordinal))
        {
            var candidates = Enumerable.Range(0, sockets).Where(i => roomsOf[i % tokens.Length].Contains(room)).ToList();
            var sender = candidates.FirstOrDefault(i => !sending.Contains(i), candidates[0]);
            sending.Add(sender);
            senders.Add((load.Clients[sender], room));
        }

        result.Multi = new MultiShape(sockets, tokens.Length, followers.Count, perSocket, sending.Count, followers.Values.Min(),
            followers.Values.Average(), followers.Values.Max(), setupSeconds, sink.Frames);
        BenchEnvironment.Log($"accounts: {sockets} sockets follow {perSocket} of {followers.Count} rooms each " +
            $"({result.Multi.MinFollowers}-{result.Multi.MaxFollowers} followers a room), ready in {setupSeconds:N1} s");

        // Unmeasured first, so that the first step does not pay for code compiled on first use.
        sink.ResetLatency();
        var warmUp = await SendRoundRobinAsync(senders, settings.MultiRates[0], TimeSpan.FromSeconds(2), ct);
        await DrainAsync(sink, senders.Select((s, i) => warmUp[i] * followers[s.Room]).Sum(), ct);

        foreach (var rate in settings.MultiRates)
        {
            await Task.Delay(1000, ct);
            sink.ResetLatency();
            var acksBefore = sink.Acks;
            var errorsBefore = sink.Errors;
            var cpuBefore = target.Process.CpuTime();
            var started = Stopwatch.GetTimestamp();
            var sent = await SendRoundRobinAsync(senders, rate, settings.MultiDuration, ct);
            var expected = senders.Select((s, i) => sent[i] * followers[s.Room]).Sum();
            await DrainAsync(sink, expected, ct);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var latency = sink.Latency;
            var committed = sink.Acks - acksBefore;
            var errors = sink.Errors - errorsBefore;
            var step = new MultiStep(rate, seconds, sent.Sum(), committed, errors, errors > 0 ? sink.LastError : null, committed / seconds,
                latency.Count, expected, latency.Count / seconds, latency.PercentileMs(0.5), latency.PercentileMs(0.99),
                CpuPercent(target, cpuBefore, seconds));
            BenchEnvironment.Log($"accounts: /ws at {rate}/s: {committed:N0} committed, {latency.Count:N0}/{expected:N0} deliveries " +
                $"({step.DeliveriesPerSecond:N0}/s), p50 {step.P50Ms:N1} ms, p99 {step.P99Ms:N1} ms, {errors} errors");
            result.MultiSteps.Add(step);
        }
    }

    // Each account's rooms: the ones fewest accounts have taken so far, ties broken at random (fixed seed), so the
    // sets overlap in many different ways and every room ends up with about the same number of followers.
    private static IReadOnlyList<string>[] AssignRooms(int accounts, int rooms, int perAccount)
    {
        var random = new Random(20);
        var taken = new int[rooms];
        var result = new IReadOnlyList<string>[accounts];
        for (var a = 0; a < accounts; a++)
        {
            var chosen = Enumerable.Range(0, rooms).Select(r => (Room: r, Tie: random.Next())).OrderBy(r => taken[r.Room]).ThenBy(r => r.Tie)
                .Take(perAccount).Select(r => r.Room).ToArray();
            foreach (var r in chosen)
            {
                taken[r]++;
            }

            result[a] = chosen.Select(r => $"conv{r}").ToArray();
        }

        return result;
    }

    // One loop for all senders, so no socket ever has two sends in flight; messages per sender, in `senders` order.
    private static async Task<long[]> SendRoundRobinAsync(List<(WsLoadClient Client, string Room)> senders, int rate, TimeSpan duration, CancellationToken ct)
    {
        var sent = new long[senders.Count];
        var total = (long)(rate * duration.TotalSeconds);
        var started = Stopwatch.GetTimestamp();
        long done = 0;
        while (done < total)
        {
            var due = Math.Min(total, (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * rate) + 1);
            for (; done < due; done++)
            {
                var at = (int)(done % senders.Count);
                var (client, room) = senders[at];
                var frame = $"{{\"action\":\"message\",\"room\":\"{room}\",\"message\":\"bench t={Stopwatch.GetTimestamp()}|\",\"id\":\"{Guid.NewGuid():N}\"}}";
                await client.SendAsync(Encoding.UTF8.GetBytes(frame), ct);
                sent[at]++;
            }

            await Task.Delay(5, ct);
        }

        return sent;
    }
}
