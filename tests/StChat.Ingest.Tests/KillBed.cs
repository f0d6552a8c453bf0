using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

// A NATS server, a fresh database and a stream of its own, for tests that run the worker as separate processes and
// kill them with SIGKILL while the feeds publish.
internal sealed class KillBed : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    // A short AckWait bounds how long the messages a killed worker held wait before they are delivered again.
    private static readonly Dictionary<string, string> KillableEnvironment = new()
    {
        ["Ingest__AckWait"] = "00:00:05",
        ["Ingest__BatchSize"] = "250",
    };

    private readonly NatsServer _nats;

    private KillBed(NatsServer nats, string postgres)
    {
        _nats = nats;
        Postgres = postgres;
        Catalogue = new Catalogue(postgres, Stream);
    }

    public string Url => _nats.Url;

    public string Postgres { get; }

    public string Stream { get; } = "FEEDS_" + Guid.NewGuid().ToString("N")[..8];

    public Catalogue Catalogue { get; }

    private string Consumer => Stream + "-ingest";

    public static async Task<KillBed> StartAsync(string database, NatsServerOptions? natsOptions = null)
    {
        var nats = await NatsServer.StartAsync(natsOptions);
        try
        {
            return new KillBed(nats, await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync(database));
        }
        catch
        {
            await nats.DisposeAsync();
            throw;
        }
    }

    // The seed goes to the test output, so that a failing run's kill moments can be replayed.
    public static Random SeededRandom(ITestOutputHelper output)
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        return new Random(seed);
    }

    public IngestProcess StartWorker() => IngestProcess.Start(Postgres, Url, Stream);

    public IngestProcess StartKillableWorker() => IngestProcess.Start(Postgres, Url, Stream, KillableEnvironment);

    public Task WaitForConsumerAsync() => Broker.WaitForConsumerAsync(Url, Stream, Consumer);

    // Once the publishing is over: every message is stored exactly once and acknowledged.
    public async Task AssertEveryMessageStoredOnceAsync(int n, string storedCondition)
    {
        await Eventually.Until(() => Catalogue.HasAsync(n, n), Patience, storedCondition);
        await Broker.WaitUntilAllAcknowledgedAsync(Url, Stream, Consumer);
        await Catalogue.AssertExactlyAsync(n);
        Assert.Equal(n, await Catalogue.CountAsync("sport_event"));
        Assert.Equal(n, await Catalogue.CountAsync("execution"));
    }

    public static async Task AssertTerminatesCleanlyAsync(IngestProcess worker)
    {
        var exitCode = await worker.TerminateAsync(TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, $"SIGTERM should exit 0, got {exitCode}. Output:\n{worker.Output}");
    }

    public ValueTask DisposeAsync() => _nats.DisposeAsync();
}
