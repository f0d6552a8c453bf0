using NATS.Client.JetStream;
using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

// The worker against a three-node JetStream cluster, reached through all three URLs.
public sealed class IngestClusterTests(NatsClusterFixture fixture, ITestOutputHelper output)
    : IClassFixture<NatsClusterFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly string _stream = "FEEDS_" + Guid.NewGuid().ToString("N")[..8];
    private string? _postgres;

    private NatsCluster Cluster => fixture.Cluster;

    private string Consumer => _stream + "-ingest";

    public async ValueTask InitializeAsync() =>
        _postgres = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync("ingest_cluster");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Three_replicas_lose_and_double_nothing_when_a_NATS_node_is_killed_mid_run_and_restarted()
    {
        const int n = 3000;
        var url = Cluster.Url;
        var postgres = _postgres!;
        var environment = new Dictionary<string, string>
        {
            ["Ingest__Replicas"] = "3",
            ["Ingest__AckWait"] = "00:00:05",
            ["Ingest__BatchSize"] = "250",
        };
        await using var worker = IngestProcess.Start(postgres, url, _stream, environment);
        await using var probe = Broker.Connect(url);
        var js = new NatsJSContext(probe);
        var victim = -1;
        try
        {
            await Broker.WaitForConsumerAsync(url, _stream, Consumer);
            var stream = await js.GetStreamAsync(_stream);
            Assert.Equal(3, stream.Info.Config.NumReplicas);
            Assert.Equal(2, stream.Info.Cluster?.Replicas?.Count);

            // Acknowledged and deduplicated by Nats-Msg-Id: whatever the failure, each message is in the stream once.
            var publishing = TestPublisher.PublishWithAcksAsync(url, 0, n, ratePerSubject: 200);
            var catalogue = new Catalogue(postgres, _stream);
            await Eventually.Until(async () => await catalogue.CountAsync("execution") >= n / 4, Patience,
                "a quarter of the executions are stored");

            // The stream's leader: its death forces an election while messages are being published and consumed.
            var leader = (await js.GetStreamAsync(_stream)).Info.Cluster?.Leader
                ?? throw new InvalidOperationException("The stream reports no leader.");
            victim = Cluster.IndexOf(leader);
            await Cluster.KillAsync(victim);
            var atKill = await catalogue.CountAsync("execution");
            output.WriteLine($"killed {leader} (stream leader) with {atKill} executions stored");

            // Ingest and publishing go on through the other two nodes before the dead one comes back.
            await Eventually.Until(async () => await catalogue.CountAsync("execution") is var now && (now >= atKill + 300 || now == n),
                Patience, "the worker stores more with one node down");
            output.WriteLine($"restarting {leader} with {await catalogue.CountAsync("execution")} executions stored");
            await Cluster.RestartAsync(victim);
            victim = -1;

            var duplicates = await publishing;
            output.WriteLine($"published {n} per subject; {duplicates} retried publish(es) dropped as duplicates by the stream");
            await Eventually.Until(() => catalogue.HasAsync(n, n), Patience, $"{n} rows per table are stored");
            await Broker.WaitUntilAllAcknowledgedAsync(url, _stream, Consumer);

            Assert.Equal(2L * n, (await js.GetStreamAsync(_stream)).Info.State.Messages);
            await catalogue.AssertExactlyAsync(n);
            Assert.False(worker.HasExited, $"the worker ran through the node failure. Output:\n{worker.Output}");
        }
        catch
        {
            output.WriteLine(worker.Output);
            throw;
        }
        finally
        {
            // The next test of the class gets the whole cluster.
            if (victim >= 0)
            {
                await Cluster.RestartAsync(victim);
            }
        }
    }

    [Fact]
    public async Task Raising_Ingest_Replicas_on_an_existing_stream_scales_it_and_its_consumer_to_three()
    {
        var url = Cluster.Url;
        var postgres = _postgres!;
        await using var probe = Broker.Connect(url);
        var js = new NatsJSContext(probe);

        await using (var single = IngestHost.Create(postgres, url, _stream, new Dictionary<string, string?> { ["Ingest:Replicas"] = "1" }))
        {
            await single.StartAsync();
            await Broker.WaitForConsumerAsync(url, _stream, Consumer);
            await TestPublisher.PublishAsync(url, 0, 50);
            await Eventually.Until(() => new Catalogue(postgres, _stream).HasAsync(50, 50), Patience, "the R1 stream's messages are stored");
        }

        var created = (await js.GetStreamAsync(_stream)).Info.Created;
        Assert.Equal(1, (await js.GetStreamAsync(_stream)).Info.Config.NumReplicas);

        await using var replicated = IngestHost.Create(postgres, url, _stream, new Dictionary<string, string?> { ["Ingest:Replicas"] = "3" });
        await replicated.StartAsync();
        await Eventually.Until(
            async () => (await js.GetStreamAsync(_stream)).Info is { Config.NumReplicas: 3, Cluster.Replicas.Count: 2 }
                && (await js.GetConsumerAsync(_stream, Consumer)).Info.Cluster?.Replicas?.Count == 2,
            Patience,
            "the stream and its consumer have three replicas");

        // The same stream, scaled, not a new one: the catalogue goes on from where it was.
        Assert.Equal(created, (await js.GetStreamAsync(_stream)).Info.Created);
        await TestPublisher.PublishAsync(url, 50, 50);
        var catalogue = new Catalogue(postgres, _stream);
        await Eventually.Until(() => catalogue.HasAsync(100, 100), Patience, "messages published after scaling are stored");
        await catalogue.AssertExactlyAsync(100);
        Assert.True(replicated.Logs.Contains("3 replica(s)"), "the worker logs the replicas it set up");
    }
}
