using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using StChat.Bench;
using StChat.Testing;

// Usage: StChat.Bench [--quick] [--only ingest,chat,shootout,memory,publish,accounts,scale,growth] [--repo DIR]   run and write the report
//        (chat is the fan-out and the shootout; shootout alone skips the fan-out; with --only, the other sections of
//        the report are kept from the previous results file of the same kind, quick or full)
//        (growth runs only when named: it builds tens of millions of rows first; --growth-catalogue N, --growth-chat N,
//        --growth-rooms N and --growth-large-room N change its sizes)
//        StChat.Bench report <results.json> [--repo DIR]                      render the report again from results
// A latency of a run that received nothing is NaN, and is saved as such rather than failing the write.
var jsonOptions = new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
var repo = ArgValue(args, "--repo") ?? Directory.GetCurrentDirectory();
if (args is ["report", var resultsFile, ..])
{
    var saved = JsonSerializer.Deserialize<BenchResults>(await File.ReadAllTextAsync(resultsFile), jsonOptions)!;
    await ReportWriter.WriteAsync(saved, repo, CancellationToken.None);
    return 0;
}

var quick = args.Contains("--quick");
var only = (ArgValue(args, "--only") ?? "ingest,chat,memory,publish,accounts,scale").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
if (only.FirstOrDefault(o => !BenchResults.SectionNames.Contains(o)) is { } unknown)
{
    Console.Error.WriteLine($"unknown section '{unknown}'; --only takes {string.Join(",", BenchResults.SectionNames)}");
    return 2;
}

// The shootout and the memory section measure the Bun peer beside the others; without it they would be one-sided.
var bun = BenchEnvironment.FindBun(repo);
if (bun is null && only.Any(o => o is "chat" or "shootout" or "memory"))
{
    Console.Error.WriteLine(BenchEnvironment.BunMissing);
    return 2;
}

var settings = (quick ? BenchSettings.QuickRun : BenchSettings.Full).FitToOpenFileLimit(OpenFileLimit());
settings = settings with
{
    GrowthCatalogueRows = LongArg(args, "--growth-catalogue") ?? settings.GrowthCatalogueRows,
    GrowthChatEvents = LongArg(args, "--growth-chat") ?? settings.GrowthChatEvents,
    GrowthChatRooms = (int?)LongArg(args, "--growth-rooms") ?? settings.GrowthChatRooms,
    GrowthLargeRoomEvents = LongArg(args, "--growth-large-room") ?? settings.GrowthLargeRoomEvents,
};
using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes((quick ? 10 : 25) + (only.Contains("growth") ? 60 : 0)));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
var ct = cancel.Token;

var results = new BenchResults
{
    Machine = MachineInfo.Collect(bun),
    Command = Environment.GetEnvironmentVariable("STCHAT_BENCH_COMMAND") ?? "./stchat bench" + (quick ? " --quick" : ""),
    StartedAt = DateTimeOffset.UtcNow,
    Quick = quick,
    Settings = settings,
};
var started = Stopwatch.GetTimestamp();
BenchEnvironment.Log($"{(quick ? "quick" : "full")} run: {string.Join(", ", only)}");

await using (var nats = await NatsServer.StartAsync(new NatsServerOptions { ExtraArgs = ["-m", "0"] }, ct))
await using (var postgres = await BenchPostgres.StartAsync(ct))
{
    var env = new BenchEnvironment(settings, nats, postgres, repo);
    if (only.Contains("ingest"))
    {
        await RunAsync("ingest", async () => results.Ingest = await new IngestScenario(env).RunAsync(ct));
    }

    if (only.Contains("chat") || only.Contains("shootout"))
    {
        await RunAsync("chat", async () => results.Chat = await RunChatAsync(env, fanout: only.Contains("chat"), ct));
    }

    if (only.Contains("memory"))
    {
        await RunAsync("memory", async () => results.Memory = await RunMemoryAsync(env, ct));
    }

    if (only.Contains("publish"))
    {
        await RunAsync("publish", async () => results.Publish = await new FeedPublishScenario(env).RunAsync(ct));
    }

    if (only.Contains("accounts"))
    {
        await RunAsync("accounts", async () => results.Accounts = await new AccountsScenario(env).RunAsync(results.Errors, ct));
    }

    if (only.Contains("scale"))
    {
        await RunAsync("scale", async () => results.Scale = await new ScaleScenario(env, results.Command).RunAsync(ct));
    }

    if (only.Contains("growth"))
    {
        await RunAsync("growth", async () => results.Growth = await new GrowthScenario(env).RunAsync(ct));
    }
}

results.TotalSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
var resultsDirectory = Path.Combine(repo, "bench/results");
Directory.CreateDirectory(resultsDirectory);
var resultsPath = Path.Combine(resultsDirectory, quick ? "quick.json" : "full.json");
var measured = BenchResults.SectionNames.Where(s => only.Contains(s) || (s == "shootout" && only.Contains("chat"))).ToHashSet();
foreach (var section in measured)
{
    results.Sections[section] = new SectionRun(results.Command, results.StartedAt, results.Machine.LoadBefore);
}

if (measured.Count < BenchResults.SectionNames.Count && File.Exists(resultsPath))
{
    var previous = JsonSerializer.Deserialize<BenchResults>(await File.ReadAllTextAsync(resultsPath, CancellationToken.None), jsonOptions)!;
    results.KeepUnmeasured(previous, measured);
    BenchEnvironment.Log($"kept from {resultsPath}: {string.Join(", ", BenchResults.SectionNames.Where(s => !measured.Contains(s)))}");
}

await File.WriteAllTextAsync(resultsPath, JsonSerializer.Serialize(results, jsonOptions), CancellationToken.None);
BenchEnvironment.Log($"results: {resultsPath}");
await ReportWriter.WriteAsync(results, repo, CancellationToken.None);
return results.Errors.Count == 0 ? 0 : 1;

async Task RunAsync(string name, Func<Task> scenario)
{
    try
    {
        await scenario();
    }
    catch (Exception e) when (!ct.IsCancellationRequested || e is OperationCanceledException)
    {
        BenchEnvironment.Log($"{name} failed: {e}");
        results.Errors.Add($"{name}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
    }
}

static async Task<ChatResult> RunChatAsync(BenchEnvironment env, bool fanout, CancellationToken ct)
{
    var result = new ChatResult
    {
        LoadClient = ".NET ClientWebSocket clients in the harness process (one receive loop each, 16 source addresses), " +
            "sharing the 2 cores with the server under test",
    };
    var shootout = new ChatShootoutScenario(env);
    if (fanout)
    {
        var scenario = new ChatFanoutScenario(env);
        await using var ours = await ChatTarget.StartStChatAsync(env, "bench_chat", ct);
        await using var node = await ChatTarget.StartNodeAsync(env, ct);
        foreach (var size in env.Settings.ChatRoomSizes)
        {
            foreach (var target in new[] { ours, node })
            {
                result.Fanout.Add(await scenario.RunAsync(target, size, ct));
                await Task.Delay(2000, ct);
            }
        }
    }

    // Fresh processes for the shootout so the fan-out rooms' history does not weigh on it.
    foreach (var start in SideBySide(env, "bench_shootout", ct))
    {
        await using var target = await start();
        var (steps, largest, reason) = await shootout.RunAsync(target, ct);
        result.Shootout.AddRange(steps);
        result.LargestRoom[target.Name] = largest;
        result.ShootoutStopReason[target.Name] = reason;
    }

    // The cross-check with a lighter load generator, on fresh processes again: ours and the Bun peer, the pair the
    // shootout's closest target compares.
    foreach (var start in new Func<Task<ChatTarget>>[] { () => ChatTarget.StartStChatAsync(env, "bench_light", ct), () => ChatTarget.StartBunAsync(env, ct) })
    {
        await using var target = await start();
        result.LightLoad.Add(await shootout.RunLightLoadAsync(target, ct));
    }

    return result;
}

static async Task<List<IdleMemoryResult>> RunMemoryAsync(BenchEnvironment env, CancellationToken ct)
{
    var results = new List<IdleMemoryResult>();
    var scenario = new IdleMemoryScenario(env);
    foreach (var start in SideBySide(env, "bench_memory", ct))
    {
        await using var target = await start();
        results.AddRange(await scenario.RunAsync(target, ct));
    }

    return results;
}

// Ours (on a fresh database) and both peers, started one at a time so each has the machine to itself.
static Func<Task<ChatTarget>>[] SideBySide(BenchEnvironment env, string database, CancellationToken ct) =>
[
    () => ChatTarget.StartStChatAsync(env, database, ct),
    () => ChatTarget.StartNodeAsync(env, ct),
    () => ChatTarget.StartBunAsync(env, ct),
];

// Soft RLIMIT_NOFILE of this process (the server children inherit it).
static int OpenFileLimit()
{
    var line = File.ReadLines("/proc/self/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
    var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
    return soft == "unlimited" ? int.MaxValue : int.Parse(soft, System.Globalization.CultureInfo.InvariantCulture);
}

static long? LongArg(string[] args, string name) =>
    ArgValue(args, name) is { } value ? long.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : null;

static string? ArgValue(string[] args, string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}
