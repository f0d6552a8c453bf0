using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

// The worker as a separate process, killed with SIGKILL at random moments while the feeds publish.
public sealed class IngestCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly string _stream = "FEEDS_" + Guid.NewGuid().ToString("N")[..8];
    private NatsServer? _nats;
    private string? _postgres;

    public async ValueTask InitializeAsync()
    {
        _nats = await NatsServer.StartAsync();
        _postgres = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync("ingest_crash");
    }

    public async ValueTask DisposeAsync()
    {
        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }
    }

    [Fact]
    public async Task Worker_killed_at_random_moments_and_restarted_stores_every_message_exactly_once()
    {
        const int n = 20_000;
        const int kills = 4;
        var url = _nats!.Url;
        var postgres = _postgres!;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");

        // A short AckWait bounds how long the messages a killed worker held wait before they are redelivered.
        var environment = new Dictionary<string, string> { ["Ingest__AckWait"] = "00:00:05", ["Ingest__BatchSize"] = "250" };
        var worker = IngestProcess.Start(postgres, url, _stream, environment);
        try
        {
            await Broker.WaitForConsumerAsync(url, _stream, _stream + "-ingest");
            var publishing = TestPublisher.PublishAsync(url, 0, n, ratePerSubject: 3000);

            var catalogue = new Catalogue(postgres, _stream);
            for (var kill = 1; kill <= kills; kill++)
            {
                // Kill only once this incarnation is storing, at a random moment after that: mid-fetch, mid-transaction,
                // between commit and ack.
                var before = await catalogue.CountAsync("execution");
                await Eventually.Until(async () => await catalogue.CountAsync("execution") is var now && (now > before || now == n),
                    Patience, $"worker incarnation {kill} stores something");
                var lifetime = TimeSpan.FromMilliseconds(random.Next(0, 800));
                await Task.Delay(lifetime);
                await worker.KillAsync();
                output.WriteLine($"kill {kill}: {lifetime.TotalMilliseconds} ms into storing, " +
                    $"{await catalogue.CountAsync("execution")} executions stored");
                await worker.DisposeAsync();
                worker = IngestProcess.Start(postgres, url, _stream, environment);
            }

            await publishing;
            await Eventually.Until(() => catalogue.HasAsync(n, n), Patience, $"{n} rows per table are stored after {kills} kills");
            await Broker.WaitUntilAllAcknowledgedAsync(url, _stream, _stream + "-ingest");
            await catalogue.AssertExactlyAsync(n);
            Assert.Equal(n, await catalogue.CountAsync("sport_event"));
            Assert.Equal(n, await catalogue.CountAsync("execution"));

            var exitCode = await worker.TerminateAsync(TimeSpan.FromSeconds(30));
            Assert.True(exitCode == 0, $"SIGTERM should exit 0, got {exitCode}. Output:\n{worker.Output}");
            Assert.True(worker.OutputContains("Ingest progress"), "the worker logs progress");
        }
        catch
        {
            output.WriteLine(worker.Output);
            throw;
        }
        finally
        {
            await worker.DisposeAsync();
        }
    }
}
