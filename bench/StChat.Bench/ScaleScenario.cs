using System.Diagnostics;

namespace StChat.Bench;

// Scale-out: the same StChat.Server as chat nodes sharing NATS and PostgreSQL (Chat:Bus=nats) and as competing ingest
// workers on one durable consumer. Each part runs on its own database and fresh processes, and a failed part is
// recorded without losing the others.
internal sealed partial class ScaleScenario(BenchEnvironment env, string command)
{
    private readonly ScaleSettings _settings = ScaleSettings.From(env.Settings);

    public async Task<ScaleResult> RunAsync(CancellationToken ct)
    {
        var result = new ScaleResult { Command = command, StartedAt = DateTimeOffset.UtcNow, Settings = _settings };
        var started = Stopwatch.GetTimestamp();
        await using var sampler = new MachineLoadSampler();
        await PartAsync(result, "fan-out and chat_log writes", () => RunChatAsync(result, ct), ct);
        await PartAsync(result, "ingest", async () => result.Ingest.AddRange(await RunIngestAsync(ct)), ct);
        await PartAsync(result, "staleness", async () => result.Staleness = await RunStalenessAsync(ct), ct);
        result.Load = await sampler.StopAsync();
        result.Seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return result;
    }

    private static async Task PartAsync(ScaleResult result, string name, Func<Task> part, CancellationToken ct)
    {
        try
        {
            await part();
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            BenchEnvironment.Log($"scale: {name} failed: {e}");
            result.Failures.Add($"{name}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }

    private async Task RunChatAsync(ScaleResult result, CancellationToken ct)
    {
        var connectionString = await env.Postgres.CreateDatabaseAsync("bench_scale_chat", ct);

        // One at a time: the first node migrates the database, the second finds it done.
        await using var a = await StartChatNodeAsync("node A", connectionString, env.Nats.Url, ct);
        await using var b = await StartChatNodeAsync("node B", connectionString, env.Nats.Url, ct);
        result.Fanout.Add(await RunFanoutAsync([a], ct));
        await Task.Delay(2000, ct);
        result.Fanout.Add(await RunFanoutAsync([a, b], ct));
        await Task.Delay(2000, ct);
        result.Writes.Add(await RunWritesAsync(a, connectionString, oneRoom: true, ct));
        await Task.Delay(1000, ct);
        result.Writes.Add(await RunWritesAsync(a, connectionString, oneRoom: false, ct));
    }

    // A chat node as deployed for scale-out; the rate limit is lifted so the write-limit runs measure storage, not it.
    private async Task<ChatTarget> StartChatNodeAsync(string name, string connectionString, string natsUrl, CancellationToken ct)
    {
        var port = global::StChat.Testing.TestPorts.GetFreeTcpPort();
        var process = await env.StartServerAsync("chat", "chat is listening on", new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["Nats__Url"] = natsUrl,
            ["Chat__Bus"] = "nats",
        },
        [
            $"--Chat:Url=http://127.0.0.1:{port}",
            "--Chat:MaxConnections=60000",
            "--Chat:MessagesPerSecond=100000",
            "--Chat:MessageBurst=100000",
            "--Chat:SendQueueCapacity=4096",
            $"--Chat:ReconcileInterval={_settings.ReconcileInterval:c}",
            .. ChatTarget.LiftedClientLimits,
        ], ct);
        return new ChatTarget($"StChat chat {name}", stchat: true, port, process);
    }
}
