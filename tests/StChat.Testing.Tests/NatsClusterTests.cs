using System.Net;
using System.Net.Sockets;
using System.Text;
using StChat.Testing;
using Xunit;

namespace StChat.Testing.Tests;

public sealed class NatsClusterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Three_nodes_form_one_cluster_whose_JetStream_meta_leader_every_node_knows()
    {
        await using var cluster = await NatsCluster.StartAsync();

        var leader = await cluster.WaitForMetaLeaderAsync();

        Assert.Contains(leader, Enumerable.Range(0, NatsCluster.Size).Select(cluster.ServerName));
        Assert.Equal(NatsCluster.Size, cluster.Url.Split(',').Distinct().Count());
        Assert.Equal(NatsCluster.Size, cluster.Nodes.Select(n => n.StoreDirectory).Distinct().Count());
        for (var i = 0; i < NatsCluster.Size; i++)
        {
            Assert.Equal(leader, await cluster.MetaLeaderAsync(i));
            var info = await ReadInfoLineAsync(cluster.Nodes[i].Port);
            Assert.Contains("\"jetstream\":true", info, StringComparison.Ordinal);
            Assert.Contains($"\"server_name\":\"{cluster.ServerName(i)}\"", info, StringComparison.Ordinal);
            Assert.Contains($"\"cluster\":\"{cluster.Name}\"", info, StringComparison.Ordinal);
            Assert.StartsWith("nats://127.0.0.1:", cluster.Nodes[i].Url, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Killed_meta_leader_is_replaced_and_comes_back_on_its_ports_with_its_store()
    {
        await using var cluster = await NatsCluster.StartAsync();
        var leader = await cluster.WaitForMetaLeaderAsync();
        var killed = cluster.IndexOf(leader);
        var port = cluster.Nodes[killed].Port;

        await cluster.KillAsync(killed);

        Assert.False(cluster.Nodes[killed].IsRunning);
        await Assert.ThrowsAsync<SocketException>(() => ReadInfoLineAsync(port));
        var survivors = Enumerable.Range(0, NatsCluster.Size).Where(i => i != killed).ToArray();
        string? successor = null;
        await Eventually.Until(
            async () =>
            {
                var leaders = new HashSet<string?>();
                foreach (var i in survivors)
                {
                    leaders.Add(await cluster.MetaLeaderAsync(i));
                }

                successor = leaders.Single();
                return successor is not null && successor != leader;
            },
            Patience,
            "the two survivors elect another meta leader");
        Assert.True(Directory.Exists(Path.Combine(cluster.Nodes[killed].StoreDirectory, "jetstream")));

        await cluster.RestartAsync(killed);

        Assert.Equal(port, cluster.Nodes[killed].Port);
        Assert.True(cluster.Nodes[killed].IsRunning);
        Assert.Equal(await cluster.WaitForMetaLeaderAsync(), await cluster.MetaLeaderAsync(killed));
    }

    [Fact]
    public async Task Disposed_cluster_leaves_no_server_and_no_store()
    {
        var cluster = await NatsCluster.StartAsync();
        var ports = cluster.Nodes.Select(n => n.Port).ToArray();
        var stores = cluster.Nodes.Select(n => n.StoreDirectory).ToArray();

        await cluster.DisposeAsync();

        Assert.All(stores, store => Assert.False(Directory.Exists(store)));
        foreach (var port in ports)
        {
            await Assert.ThrowsAsync<SocketException>(() => ReadInfoLineAsync(port));
        }
    }

    private static async Task<string> ReadInfoLineAsync(int port)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
        return await reader.ReadLineAsync(timeout.Token) ?? throw new IOException("The server closed without INFO.");
    }
}
