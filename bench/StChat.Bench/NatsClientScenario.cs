using System.Diagnostics;
using System.Text.Json;
using StChat.Nats;

namespace StChat.Bench;

// Publish, and publish + subscribe through the server, for 16 B and 128 B payloads: our client against npm `nats`,
// the same loops, the same server, one after the other.
internal sealed class NatsClientScenario(BenchEnvironment env)
{
    public async Task<List<NatsThroughputResult>> RunAsync(CancellationToken ct)
    {
        var results = new List<NatsThroughputResult>();
        var count = env.Settings.NatsMessages;
        foreach (var size in env.Settings.NatsSizes)
        {
            foreach (var mode in new[] { "pub", "pubsub" })
            {
                // Warm-up so the JIT and the server's buffers are not part of the first figure.
                await RunOursAsync(mode, size, Math.Min(count, 100_000), ct);
                var ours = await RunOursAsync(mode, size, count, ct);
                var node = await RunNodeAsync(mode, size, count, ct);
                BenchEnvironment.Log($"nats: {mode} {size} B: StChat.Nats {ours.Rate:N0}/s, npm nats {node.Rate:N0}/s");
                results.Add(ours);
                results.Add(node);
            }
        }

        return results;
    }

    private async Task<NatsThroughputResult> RunOursAsync(string mode, int size, int count, CancellationToken ct)
    {
        var payload = new byte[size];
        Array.Fill(payload, (byte)'a');
        var subject = $"bench.dotnet.{Guid.NewGuid():N}";
        await using var pub = new NatsConnection(new NatsOpts { Url = env.Nats.Url, Name = "bench-dotnet-pub" });
        await pub.ConnectAsync(ct);
        if (mode == "pub")
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < count; i++)
            {
                await pub.PublishAsync(subject, payload, ct: ct);
            }

            await pub.PingAsync(ct);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return new NatsThroughputResult("StChat.Nats (.NET)", mode, size, count, count, seconds, count / seconds);
        }

        await using var sub = new NatsConnection(new NatsOpts { Url = env.Nats.Url, Name = "bench-dotnet-sub" });
        await using var subscription = await sub.SubscribeCoreAsync(subject, opts: new NatsSubOpts { ChannelCapacity = count + 1 }, ct: ct);
        await sub.PingAsync(ct);
        long received = 0;
        var reading = Task.Run(async () =>
        {
            var reader = subscription.Msgs;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                while (received < count && await reader.WaitToReadAsync(timeout.Token))
                {
                    while (reader.TryRead(out _))
                    {
                        received++;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, ct);
        var begun = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            await pub.PublishAsync(subject, payload, ct: ct);
        }

        await pub.PingAsync(ct);
        await reading;
        var elapsed = Stopwatch.GetElapsedTime(begun).TotalSeconds;
        return new NatsThroughputResult("StChat.Nats (.NET)", mode, size, count, received, elapsed, received / elapsed);
    }

    private async Task<NatsThroughputResult> RunNodeAsync(string mode, int size, int count, CancellationToken ct)
    {
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(env.NodeDirectory, "nats-bench.mjs"), env.Nats.Url, mode, count.ToString(System.Globalization.CultureInfo.InvariantCulture), size.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync(ct);
        var errors = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()
            ?? throw new InvalidOperationException($"nats-bench.mjs printed nothing (exit {process.ExitCode}): {errors}");
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        return new NatsThroughputResult("npm nats (Node)", mode, size, count, root.GetProperty("received").GetInt64(),
            root.GetProperty("seconds").GetDouble(), root.GetProperty("rate").GetDouble());
    }
}
