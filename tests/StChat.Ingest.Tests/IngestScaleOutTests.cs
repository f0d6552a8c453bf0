using System.Globalization;
using System.Text.Json;
using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

// Several worker processes sharing the durable consumer, each killed with SIGKILL and started again while the feeds
// publish.
public sealed class IngestScaleOutTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly int _monitorPort = TestPorts.GetFreeTcpPort();
    private KillBed? _bed;

    private KillBed Bed => _bed!;

    public async ValueTask InitializeAsync() => _bed = await KillBed.StartAsync("ingest_scale_out", new NatsServerOptions
    {
        ExtraArgs = ["--http_port", _monitorPort.ToString(CultureInfo.InvariantCulture)],
    });

    public ValueTask DisposeAsync() => _bed?.DisposeAsync() ?? ValueTask.CompletedTask;

    [Fact]
    public async Task Two_workers_each_killed_and_restarted_while_the_feeds_publish_store_every_message_exactly_once()
    {
        const int n = 12_000;
        const int killsPerWorker = 2;
        var random = KillBed.SeededRandom(output);

        // The short AckWait of a killable worker bounds how long the messages a killed worker held wait before the
        // other worker gets them.
        IngestProcess[] workers = [Bed.StartKillableWorker(), Bed.StartKillableWorker()];
        var finished = new List<IngestProcess>();
        try
        {
            await Bed.WaitForConsumerAsync();
            var publishing = TestPublisher.PublishAsync(Bed.Url, 0, n, ratePerSubject: 1000);
            var catalogue = Bed.Catalogue;

            // Kills alternate between the two, each only once the victim incarnation has been handed messages, at a
            // random moment after that: mid-fetch, mid-transaction, between commit and ack, while the other one runs.
            for (var kill = 0; kill < killsPerWorker * 2; kill++)
            {
                var slot = kill % 2;
                var victim = workers[slot];
                await Eventually.Until(async () => victim.Consumed > 0 || await catalogue.HasAsync(n, n), KillBed.Patience,
                    $"worker {victim.WorkerId} consumes something");
                var lifetime = TimeSpan.FromMilliseconds(random.Next(0, 800));
                await Task.Delay(lifetime);
                await victim.KillAsync();
                output.WriteLine($"kill {kill + 1}: worker {victim.WorkerId} (slot {slot}) {lifetime.TotalMilliseconds} ms after " +
                    $"it reported {victim.Consumed} consumed; {await catalogue.CountAsync("execution")} executions stored");
                finished.Add(victim);
                workers[slot] = Bed.StartKillableWorker();
            }

            await publishing;
            await Bed.AssertEveryMessageStoredOnceAsync(n, $"{n} rows per table are stored");

            foreach (var worker in workers)
            {
                await KillBed.AssertTerminatesCleanlyAsync(worker);
                Assert.True(worker.OutputContains($"Ingest totals of worker {worker.WorkerId}:"), "each worker logs its totals under its own id");
            }
        }
        catch
        {
            foreach (var worker in finished.Concat(workers))
            {
                output.WriteLine($"--- worker {worker.WorkerId}\n{worker.Output}");
            }

            throw;
        }
        finally
        {
            foreach (var worker in finished.Concat(workers))
            {
                await worker.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Worker_names_itself_by_host_and_pid_in_its_progress_lines_and_its_NATS_connection()
    {
        await using var worker = Bed.StartWorker();
        await Bed.WaitForConsumerAsync();
        await TestPublisher.PublishAsync(Bed.Url, 0, 10);

        await Eventually.Until(() => Task.FromResult(worker.Consumed == 20), KillBed.Patience, "the worker reports the 20 messages");

        var progress = worker.Output.Split('\n').Last(l => l.Contains("Ingest progress", StringComparison.Ordinal));
        Assert.Contains($"Ingest progress of worker {Environment.MachineName}/{worker.Pid}: ", progress, StringComparison.Ordinal);
        Assert.Contains($"stchat@{Environment.MachineName}/{worker.Pid}", await ConnectionNamesAsync());
    }

    // The client names nats-server lists in its /connz monitoring page.
    private async Task<IReadOnlyList<string>> ConnectionNamesAsync()
    {
        using var http = new HttpClient();
        await using var body = await http.GetStreamAsync(new Uri($"http://127.0.0.1:{_monitorPort}/connz"));
        using var connz = await JsonDocument.ParseAsync(body);
        return [.. connz.RootElement.GetProperty("connections").EnumerateArray()
            .Select(c => c.TryGetProperty("name", out var name) ? name.GetString() ?? "" : "")];
    }
}
