using System.Diagnostics;

namespace StChat.Bench;

// Resident memory of the server process per idle connection: RSS with N idle clients (rooms of 100, joined and
// settled) minus RSS after a warm-up of 200 connections that have closed again, divided by N. For our server, a heap
// census with the most clients and another after they have gone say which objects make up the managed part of it;
// both come after the RSS figures, as the full GC each census forces would lower them.
internal sealed class IdleMemoryScenario(BenchEnvironment env)
{
    private const int RoomSize = 100;
    private const int WarmUpConnections = 2 * RoomSize;
    private const int CensusTypes = 20;

    public async Task<List<IdleMemoryResult>> RunAsync(ChatTarget target, CancellationToken ct)
    {
        var results = new List<IdleMemoryResult>();
        var sink = new DeliverySink();

        // Two rooms join and leave first, so the baseline already holds what the first connections cost once (code
        // compiled on first use, thread pool growth, database connections) and the figure is per connection only.
        using (var warmUp = new LoadClients(new DeliverySink(), bufferSize: 1024))
        {
            await warmUp.AddAsync(WarmUpConnections, i => target.RoomUri($"warmup{i / RoomSize}", i), ct);
            await warmUp.SettleAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), ct);
        }

        using var load = new LoadClients(sink, bufferSize: 1024);
        await Task.Delay(3000, ct);
        var baseline = target.Process.ResidentBytes();
        var started = Stopwatch.GetTimestamp();
        foreach (var count in env.Settings.IdleConnections)
        {
            await load.AddAsync(count - load.Clients.Count, i => target.RoomUri($"idle{i / RoomSize}", i), ct);
            var connectSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await load.SettleAsync(TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(2), ct);
            await Task.Delay(3000, ct);
            var rss = target.Process.ResidentBytes();
            var result = new IdleMemoryResult(target.Name, count, baseline, rss, (double)(rss - baseline) / count, connectSeconds);
            BenchEnvironment.Log($"memory: {target.Name}: {count:N0} idle connections, {result.BytesPerConnection / 1024:N1} KiB each");
            results.Add(result);
        }

        var census = target.StChat ? await HeapCensus.TakeAsync(env.RepoRoot, target.Process.Pid, ct) : null;
        load.Dispose(); // Closes every client before the census without them.
        if (census is not null)
        {
            // Long enough for the server to end every session and store the exits.
            await Task.Delay(10_000, ct);
            if (await HeapCensus.TakeAsync(env.RepoRoot, target.Process.Pid, ct) is { } without)
            {
                var last = results[^1];
                results[^1] = last with
                {
                    HeapBytesPerConnection = (double)(HeapCensus.TotalBytes(census) - HeapCensus.TotalBytes(without)) / last.Connections,
                    Holds = HeapCensus.PerConnection(census, without, last.Connections, CensusTypes),
                    HoldsByOwner = HeapCensus.PerOwner(census, without, last.Connections),
                };
            }
        }

        return results;
    }
}
