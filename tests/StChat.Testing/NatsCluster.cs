using System.Globalization;
using System.Text.Json;

namespace StChat.Testing;

/// <summary>
/// Three real nats-server processes routed into one JetStream cluster, all on 127.0.0.1: each node with its own client,
/// route and monitoring port, server name and store directory. Started, and restarted node by node, only once every
/// running node is routed to the others and names the same JetStream meta leader, so a test can create replicated
/// streams at once.
/// </summary>
public sealed class NatsCluster : IAsyncDisposable
{
    public const int Size = 3;

    private static readonly TimeSpan MetaLeaderTimeout = TimeSpan.FromSeconds(60);

    // Route and monitoring requests are on loopback; a node that does not answer within this is "not yet".
    private static readonly HttpClient Monitor = new() { Timeout = TimeSpan.FromSeconds(2) };

    private readonly NatsServer[] _nodes;
    private readonly int[] _monitorPorts;

    private NatsCluster(string name, NatsServer[] nodes, int[] monitorPorts)
    {
        Name = name;
        _nodes = nodes;
        _monitorPorts = monitorPorts;
    }

    /// <summary>The cluster name every node was started with.</summary>
    public string Name { get; }

    public IReadOnlyList<NatsServer> Nodes => _nodes;

    /// <summary>Every node's client URL, comma-separated: the value for <c>Nats:Url</c>.</summary>
    public string Url => string.Join(',', _nodes.Select(n => n.Url));

    /// <summary>The server name of node <paramref name="node"/> (0-based), as JetStream reports peers and leaders.</summary>
    public string ServerName(int node) => NodeName(Name, node);

    /// <summary>The index of the node JetStream calls <paramref name="serverName"/>.</summary>
    public int IndexOf(string serverName) =>
        Enumerable.Range(0, Size).FirstOrDefault(i => ServerName(i) == serverName, -1) is var i and >= 0
            ? i
            : throw new ArgumentException($"No node of cluster {Name} is called {serverName}.", nameof(serverName));

    public static async Task<NatsCluster> StartAsync(CancellationToken ct = default)
    {
        var name = "stchat-" + Guid.NewGuid().ToString("N")[..8];

        // Every node's routes name the others' route ports, so all ports are chosen before any node starts. One taken in
        // between makes that node exit; then the whole cluster starts again on new ports.
        for (var attempt = 1; ; attempt++)
        {
            var ports = DistinctFreePorts(Size * 3);
            var clientPorts = ports[..Size];
            var routePorts = ports[Size..(Size * 2)];
            var monitorPorts = ports[(Size * 2)..];
            var starting = Enumerable.Range(0, Size).Select(i => NatsServer.TryStartOnAsync(
                NodeOptions(name, i, routePorts, monitorPorts[i]),
                clientPorts[i],
                Directory.CreateTempSubdirectory("stchat-nats-cluster-").FullName,
                ct)).ToArray();
            try
            {
                await Task.WhenAll(starting);
            }
            catch
            {
                await DisposeStartedAsync(starting);
                throw;
            }

            if (starting.All(t => t.Result is not null))
            {
                var cluster = new NatsCluster(name, [.. starting.Select(t => t.Result!)], monitorPorts);
                try
                {
                    await cluster.WaitForMetaLeaderAsync(ct);
                    return cluster;
                }
                catch
                {
                    await cluster.DisposeAsync();
                    throw;
                }
            }

            await DisposeStartedAsync(starting);
            if (attempt == 5)
            {
                throw new InvalidOperationException($"Could not find free ports for a {Size}-node nats-server cluster in 5 attempts.");
            }
        }
    }

    /// <summary>SIGKILL to one node; the other two keep the cluster (and R3 streams) going.</summary>
    public Task KillAsync(int node) => _nodes[node].KillAsync();

    /// <summary>
    /// Starts a node again on its ports and with its store, then waits until it is routed to the others and knows the
    /// meta leader.
    /// </summary>
    public async Task RestartAsync(int node, CancellationToken ct = default)
    {
        await _nodes[node].RestartAsync(ct);
        await WaitForMetaLeaderAsync(ct);
    }

    /// <summary>
    /// Waits until every running node is routed to every other running node and all of them name the same JetStream
    /// meta leader; returns its server name.
    /// </summary>
    public async Task<string> WaitForMetaLeaderAsync(CancellationToken ct = default)
    {
        string? agreed = null;
        await Eventually.Until(
            async () =>
            {
                var running = Enumerable.Range(0, Size).Where(i => _nodes[i].IsRunning).ToArray();
                var leaders = new HashSet<string?>();
                foreach (var i in running)
                {
                    ct.ThrowIfCancellationRequested();
                    if (await RoutesAsync(i, ct) < running.Length - 1)
                    {
                        return false;
                    }

                    leaders.Add(await MetaLeaderAsync(i, ct));
                }

                agreed = leaders.Count == 1 ? leaders.Single() : null;
                return agreed is not null;
            },
            MetaLeaderTimeout,
            $"the running nodes of nats-server cluster {Name} are routed to each other and agree on a JetStream meta leader");
        return agreed!;
    }

    /// <summary>The JetStream meta leader node <paramref name="node"/> knows of, from its /jsz; null when it knows none.</summary>
    public async Task<string?> MetaLeaderAsync(int node, CancellationToken ct = default)
    {
        using var jsz = await GetJsonAsync(node, "jsz", ct);
        return jsz.RootElement.TryGetProperty("meta_cluster", out var meta)
            && meta.TryGetProperty("leader", out var leader)
            && leader.GetString() is { Length: > 0 } name
                ? name
                : null;
    }

    /// <summary>The client names of the connections node <paramref name="node"/> holds, from its /connz.</summary>
    public async Task<IReadOnlyList<string>> ConnectionNamesAsync(int node, CancellationToken ct = default)
    {
        using var connz = await GetJsonAsync(node, "connz", ct);
        return connz.RootElement.TryGetProperty("connections", out var connections) && connections.ValueKind == JsonValueKind.Array
            ? [.. connections.EnumerateArray().Select(c => c.TryGetProperty("name", out var name) ? name.GetString() ?? "" : "")]
            : [];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    private async Task<int> RoutesAsync(int node, CancellationToken ct)
    {
        using var routez = await GetJsonAsync(node, "routez", ct);
        return routez.RootElement.GetProperty("num_routes").GetInt32();
    }

    private async Task<JsonDocument> GetJsonAsync(int node, string endpoint, CancellationToken ct)
    {
        await using var body = await Monitor.GetStreamAsync(
            new Uri($"http://127.0.0.1:{_monitorPorts[node]}/{endpoint}"), ct);
        return await JsonDocument.ParseAsync(body, cancellationToken: ct);
    }

    private static NatsServerOptions NodeOptions(string name, int node, int[] routePorts, int monitorPort) => new()
    {
        ExtraArgs =
        [
            "--server_name", NodeName(name, node),
            "--cluster_name", name,
            "--cluster", Loopback(routePorts[node]),
            "--routes", string.Join(',', routePorts.Where((_, i) => i != node).Select(Loopback)),
            "--http_port", monitorPort.ToString(CultureInfo.InvariantCulture),
        ],
    };

    private static string NodeName(string cluster, int node) => cluster + "-n" + (node + 1).ToString(CultureInfo.InvariantCulture);

    private static string Loopback(int port) => "nats://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);

    private static int[] DistinctFreePorts(int count)
    {
        var ports = new HashSet<int>();
        while (ports.Count < count)
        {
            ports.Add(TestPorts.GetFreeTcpPort());
        }

        return [.. ports];
    }

    private static async Task DisposeStartedAsync(Task<NatsServer?>[] starting)
    {
        foreach (var task in starting)
        {
            if (task.IsCompletedSuccessfully && task.Result is { } server)
            {
                await server.DisposeAsync();
            }
        }
    }
}
