using System.Diagnostics;
using StChat.Testing;

namespace StChat.Bench;

internal sealed partial class ScaleScenario
{
    // Two nodes on a nats-server of their own, which is then killed: a message committed on node A reaches a member on
    // node B only when B reconciles from chat_log (every Chat:ReconcileInterval while disconnected). Each sample waits
    // a random part of the interval first, so the samples fall at every phase of B's reconcile timer.
    private async Task<ScaleStaleness> RunStalenessAsync(CancellationToken ct)
    {
        var s = _settings;
        var connectionString = await env.Postgres.CreateDatabaseAsync("bench_scale_stale", ct);
        await using var nats = await NatsServer.StartAsync(new NatsServerOptions { JetStream = false }, ct);
        await using var a = await StartChatNodeAsync("node A", connectionString, nats.Url, ct);
        await using var b = await StartChatNodeAsync("node B", connectionString, nats.Url, ct);
        var onA = new DeliverySink();
        var onB = new DeliverySink();
        using var loadA = new LoadClients(onA);
        using var loadB = new LoadClients(onB);
        var room = $"stale{Guid.NewGuid():N}"[..20];
        await loadA.AddAsync(1, i => a.RoomUri(room, i), ct);
        await loadB.AddAsync(1, i => b.RoomUri(room, 100 + i), ct);
        await loadA.SettleAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), ct);
        await loadB.SettleAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), ct);
        var timeout = (3 * s.ReconcileInterval) + TimeSpan.FromSeconds(5);

        // Connected first: the live path over NATS, for comparison.
        var live = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            live.Add(await CrossNodeDelayMsAsync(loadA.Clients[0], onB, timeout, ct) ?? double.NaN);
        }

        await nats.KillAsync();
        BenchEnvironment.Log("scale: nats-server killed; node B now learns of node A's events from chat_log");
        await Task.Delay(500, ct);

        var random = new Random(7);
        var samples = new List<double>();
        var timedOut = 0;
        for (var i = 0; i < s.StalenessSamples; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.NextDouble() * s.ReconcileInterval.TotalMilliseconds), ct);
            if (await CrossNodeDelayMsAsync(loadA.Clients[0], onB, timeout, ct) is { } ms)
            {
                samples.Add(ms);
            }
            else
            {
                timedOut++;
            }
        }

        var sorted = samples.Order().ToList();
        var p50 = sorted.Count == 0 ? double.NaN : sorted[(sorted.Count - 1) / 2];
        BenchEnvironment.Log($"scale: staleness while cut off: p50 {p50:N0} ms, max {(sorted.Count == 0 ? double.NaN : sorted[^1]):N0} ms " +
            $"({samples.Count} samples, {timedOut} timed out; bound {s.ReconcileInterval.TotalMilliseconds:N0} ms)");
        return new ScaleStaleness(s.ReconcileInterval.TotalMilliseconds, samples.Count, timedOut, p50,
            sorted.Count == 0 ? double.NaN : sorted[^1], sorted.Count == 0 ? double.NaN : sorted[0], live.Order().ElementAt(1), samples);
    }

    // Sends one marked message on node A and returns how long until the member on node B had it, or null on timeout.
    private static async Task<double?> CrossNodeDelayMsAsync(WsLoadClient sender, DeliverySink receiver, TimeSpan timeout, CancellationToken ct)
    {
        var sent = UniqueTimestamp();
        var broadcast = receiver.Track(sent, receivers: 1);
        try
        {
            await sender.SendAsync(DeliverySink.Message(stchat: true, sent), ct);
            await broadcast.Done.WaitAsync(timeout, ct);
            return broadcast.RoundTrip.TotalMilliseconds;
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            receiver.Untrack(sent);
        }
    }
}
