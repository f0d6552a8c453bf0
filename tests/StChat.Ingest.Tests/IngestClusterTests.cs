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

    // The streams of all tests capture the feed subjects, and the cluster is the class's: the next test can create its
    // stream only once this one's is gone.
    public async ValueTask DisposeAsync()
    {
        await using var connection = Broker.Connect(Cluster.Url);
        try
        {
            await new NatsJSContext(connection).DeleteStreamAsync(_stream);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            // The test failed before its worker created the stream.
        }
    }

    [Fact]
    public async Task Three_replicas_lose_and_double_nothing_when_NATS_nodes_are_killed_one_at_a_time_mid_run_and_restarted()
    {
        const int n = 4000;
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

            // First the node the worker is connected to (its pull requests and acks die with it, the client moves to
            // another server), then whichever node leads the stream by then (an election while messages are being
            // published and consumed). Each stays down until the worker has stored more through the other two.
            for (var fault = 1; fault <= 2; fault++)
            {
                var before = await catalogue.CountAsync("execution");
                await Eventually.Until(async () => await catalogue.CountAsync("execution") >= before + n / 8, Patience,
                    $"the worker stores more before fault {fault}");
                string why;
                if (fault == 1)
                {
                    victim = await NodeOfAsync("stchat@" + worker.WorkerId);
                    why = "the worker's server";
                }
                else
                {
                    var leader = (await js.GetStreamAsync(_stream)).Info.Cluster?.Leader
                        ?? throw new InvalidOperationException("The stream reports no leader.");
                    victim = Cluster.IndexOf(leader);
                    why = "the stream leader";
                }

                await Cluster.KillAsync(victim);
                var atKill = await catalogue.CountAsync("execution");
                output.WriteLine($"fault {fault}: killed {Cluster.ServerName(victim)} ({why}) with {atKill} executions stored");
                await Eventually.Until(async () => await catalogue.CountAsync("execution") is var now && (now >= atKill + 300 || now == n),
                    Patience, $"the worker stores more while {Cluster.ServerName(victim)} is down");
                output.WriteLine($"fault {fault}: restarting {Cluster.ServerName(victim)} with {await catalogue.CountAsync("execution")} executions stored");
                await Cluster.RestartAsync(victim);
                victim = -1;
            }

            var (retries, duplicates) = await publishing;
            output.WriteLine($"published {n} per subject with {retries} retried publish(es), {duplicates} of them dropped " +
                "by the stream as duplicates");
            await Eventually.Until(() => catalogue.HasAsync(n, n), Patience, $"{n} rows per table are stored");
            await Broker.WaitUntilAllAcknowledgedAsync(url, _stream, Consumer);

            Assert.Equal(2L * n, (await js.GetStreamAsync(_stream)).Info.State.Messages);
            await catalogue.AssertExactlyAsync(n);
            Assert.False(worker.HasExited, $"the worker ran through the node failures. Output:\n{worker.Output}");
            output.WriteLine("the worker's warnings:\n" + string.Join('\n', worker.Output.Split('\n').Where(l => l.Contains(" warn: ", StringComparison.Ordinal))));
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

    // The node holding the connection of that client name (the worker's: Nats:Name@host/pid).
    private async Task<int> NodeOfAsync(string clientName)
    {
        var node = -1;
        await Eventually.Until(
            async () =>
            {
                for (var i = 0; i < NatsCluster.Size; i++)
                {
                    if ((await Cluster.ConnectionNamesAsync(i)).Contains(clientName))
                    {
                        node = i;
                        return true;
                    }
                }

                return false;
            },
            Patience,
            $"a node lists the connection {clientName}");
        return node;
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
