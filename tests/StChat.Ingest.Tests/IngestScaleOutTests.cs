using System.Globalization;
using System.Text.Json;
using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

// Several worker processes sharing the durable consumer, each killed with SIGKILL and started again while the feeds
// publish.
public sealed class IngestScaleOutTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly string _stream = "FEEDS_" + Guid.NewGuid().ToString("N")[..8];
    private readonly int _monitorPort = TestPorts.GetFreeTcpPort();
    private NatsServer? _nats;
    private string? _postgres;

    public async ValueTask InitializeAsync()
    {
        _nats = await NatsServer.StartAsync(new NatsServerOptions
        {
            ExtraArgs = ["--http_port", _monitorPort.ToString(CultureInfo.InvariantCulture)],
        });
        _postgres = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync("ingest_scale_out");
    }

    public async ValueTask DisposeAsync()
    {
        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }
    }

    [Fact]
    public async Task Two_workers_each_killed_and_restarted_while_the_feeds_publish_store_every_message_exactly_once()
    {
        const int n = 12_000;
        const int killsPerWorker = 2;
        var url = _nats!.Url;
        var postgres = _postgres!;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");

        // A short AckWait bounds how long the messages a killed worker held wait before the other worker gets them.
        var environment = new Dictionary<string, string> { ["Ingest__AckWait"] = "00:00:05", ["Ingest__BatchSize"] = "250" };
        IngestProcess[] workers = [IngestProcess.Start(postgres, url, _stream, environment), IngestProcess.Start(postgres, url, _stream, environment)];
        var finished = new List<IngestProcess>();
        try
        {
            await Broker.WaitForConsumerAsync(url, _stream, _stream + "-ingest");
            var publishing = TestPublisher.PublishAsync(url, 0, n, ratePerSubject: 1000);
            var catalogue = new Catalogue(postgres, _stream);

            // Kills alternate between the two, each only once the victim incarnation has been handed messages, at a
            // random moment after that: mid-fetch, mid-transaction, between commit and ack, while the other one runs.
            for (var kill = 0; kill < killsPerWorker * 2; kill++)
            {
                var slot = kill % 2;
                var victim = workers[slot];
                await Eventually.Until(async () => victim.Consumed > 0 || await catalogue.HasAsync(n, n), Patience,
                    $"worker {victim.WorkerId} consumes something");
                var lifetime = TimeSpan.FromMilliseconds(random.Next(0, 800));
                await Task.Delay(lifetime);
                await victim.KillAsync();
                output.WriteLine($"kill {kill + 1}: worker {victim.WorkerId} (slot {slot}) {lifetime.TotalMilliseconds} ms after " +
                    $"it reported {victim.Consumed} consumed; {await catalogue.CountAsync("execution")} executions stored");
                finished.Add(victim);
                workers[slot] = IngestProcess.Start(postgres, url, _stream, environment);
            }

            await publishing;
            await Eventually.Until(() => catalogue.HasAsync(n, n), Patience, $"{n} rows per table are stored");
            await Broker.WaitUntilAllAcknowledgedAsync(url, _stream, _stream + "-ingest");
            await catalogue.AssertExactlyAsync(n);
            Assert.Equal(n, await catalogue.CountAsync("sport_event"));
            Assert.Equal(n, await catalogue.CountAsync("execution"));

            foreach (var worker in workers)
            {
                var exitCode = await worker.TerminateAsync(TimeSpan.FromSeconds(30));
                Assert.True(exitCode == 0, $"SIGTERM should exit 0, got {exitCode}. Output:\n{worker.Output}");
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
        var url = _nats!.Url;
        await using var worker = IngestProcess.Start(_postgres!, url, _stream);
        await Broker.WaitForConsumerAsync(url, _stream, _stream + "-ingest");
        await TestPublisher.PublishAsync(url, 0, 10);

        await Eventually.Until(() => Task.FromResult(worker.Consumed == 20), Patience, "the worker reports the 20 messages");

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
