using System.Diagnostics;
using Npgsql;
using StChat.Chat.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

// Three real chat node processes on one PostgreSQL and one real nats-server, and thirty clients spread over them
// through faults: random drops and reconnects to random nodes, one node SIGKILLed and restarted, nats-server restarted.
public sealed class ChatClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Clients = 30;
    private static readonly TimeSpan Chaos = TimeSpan.FromSeconds(12);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly PostgresDatabaseFixture _database = new();
    private readonly List<ChatServerProcess> _nodes = [];
    private NatsServer? _nats;

    public async ValueTask InitializeAsync()
    {
        await _database.InitializeAsync();
        _nats = await NatsServer.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["Chat__Bus"] = "nats",
            ["Nats__Url"] = _nats.Url,
            ["Chat__ReconcileInterval"] = "00:00:00.500",
            ["Chat__PresenceHeartbeat"] = "00:00:01",
            ["Chat__PresenceTimeout"] = "00:00:05",
            ["Chat__MessagesPerSecond"] = "1000",
            ["Chat__MessageBurst"] = "1000",
            ["Chat__AccountsPerAddressPerHour"] = "1000",
            ["Chat__PasswordIterations"] = "10000",
        };
        for (var i = 0; i < 3; i++)
        {
            var node = new ChatServerProcess(_database.ConnectionString, settings);
            _nodes.Add(node);
        }

        await Task.WhenAll(_nodes.Select(n => n.StartAsync()));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }

        await _database.DisposeAsync();
    }

    [Fact]
    public Task Thirty_clients_in_one_room_over_three_nodes_end_with_one_gapless_history_through_drops_a_killed_node_and_a_nats_restart() =>
        RunAsync(multi: false);

    [Fact]
    public Task Thirty_ws_sessions_following_five_conversations_each_end_with_gapless_histories_through_the_same_faults() =>
        RunAsync(multi: true);

    private async Task RunAsync(bool multi)
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var prefix = "c" + Guid.NewGuid().ToString("N")[..6];
        string[] rooms = multi ? [.. Enumerable.Range(0, 5).Select(i => $"{prefix}-{i}")] : [prefix];
        var nodeUris = _nodes.Select(n => n.BaseUri).ToArray();

        var clients = new List<ChaosClient>();
        for (var i = 0; i < Clients; i++)
        {
            var (name, token) = multi ? await SignUpAsync(nodeUris[0], $"{prefix}u{i}") : ($"{prefix}u{i}", null);
            var client = new ChaosClient(name, token, rooms, multi);
            await client.ConnectAsync(nodeUris[i % 3]);
            clients.Add(client);
        }

        // Connected to the node that is killed, never to come back: their exits are due from a survivor.
        var gone = new[] { $"{prefix}gone0", $"{prefix}gone1" }.Select(n => new ChaosClient(n, null, [rooms[0]], multi: false)).ToList();
        foreach (var client in gone)
        {
            await client.ConnectAsync(nodeUris[1]);
        }

        var dead = new HashSet<Uri>();
        var killedAt = DateTime.MinValue;
        var clock = Stopwatch.StartNew();
        var (killed, restarted, natsRestarted) = (false, false, false);
        for (var k = 0; clock.Elapsed < Chaos || !natsRestarted; k++)
        {
            var sender = clients[random.Next(clients.Count)];
            await sender.SendAsync(rooms[random.Next(rooms.Length)], $"message {k}", $"{sender.Name}-{k}");
            if (random.NextDouble() < 0.05)
            {
                var moving = clients[random.Next(clients.Count)];
                await moving.DropAsync();
            }

            if (!killed && clock.Elapsed > TimeSpan.FromSeconds(2))
            {
                (killed, killedAt) = (true, DateTime.UtcNow);
                await _nodes[1].KillAsync();
                dead.Add(nodeUris[1]);
                output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] node 2 SIGKILLed");
            }
            else if (killed && !restarted && clock.Elapsed > TimeSpan.FromSeconds(5))
            {
                restarted = true;
                await _nodes[1].StartAsync();
                dead.Remove(nodeUris[1]);
                output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] node 2 restarted");
            }
            else if (restarted && !natsRestarted && clock.Elapsed > TimeSpan.FromSeconds(8))
            {
                natsRestarted = true;
                await _nats!.RestartAsync();
                output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] nats-server restarted");
            }

            await ReconnectDroppedAsync(clients, nodeUris, dead, random);
            await Task.Delay(20);
        }

        // Settle: everyone connected, every message acked (resent under its id until it is).
        await Eventually.Until(async () =>
        {
            await ReconnectDroppedAsync(clients, nodeUris, dead, random);
            foreach (var client in clients.Where(c => c.Unacked > 0))
            {
                await client.ResendUnackedAsync();
            }

            return clients.All(c => c.IsOpen && c.Unacked == 0);
        }, Patience, "every client is connected and every message it sent is acknowledged");
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] all {clients.Sum(c => c.Acked.Count)} messages acked");

        await using var db = NpgsqlDataSource.Create(_database.ConnectionString);
        await Eventually.Until(async () => await CountAsync(db, "SELECT count(*) FROM chat_log WHERE action = 'exit' AND username LIKE @p", $"{prefix}gone%") == 2,
            TimeSpan.FromSeconds(40), "the exits of the killed node's users who did not come back are written by a survivor");
        var exitsAt = await ScalarAsync<DateTime>(db, "SELECT max(created_at) FROM chat_log WHERE action = 'exit' AND username LIKE @p", $"{prefix}gone%");
        output.WriteLine($"exits of the killed node's users written {(exitsAt - killedAt).TotalSeconds:0.0} s after the kill");
        Assert.True(exitsAt - killedAt < TimeSpan.FromSeconds(30), $"the exits came {exitsAt - killedAt} after the kill");

        // A last message in every room marks the end; every client must reach it with nothing missing or repeated.
        foreach (var room in rooms)
        {
            await clients[0].SendAsync(room, "the end", $"{room}-end");
        }

        var log = new Dictionary<string, SortedDictionary<long, string>>();
        await Eventually.Until(async () =>
        {
            await clients[0].ResendUnackedAsync();
            return clients[0].Unacked == 0;
        }, Patience, "the last messages are acknowledged");
        // Joins and exits of the last reconnects may still be on their way: the log is read again until every client
        // stands at its end.
        await Eventually.Until(async () =>
        {
            foreach (var room in rooms)
            {
                log[room] = await LogAsync(db, room);
            }

            return clients.All(c => rooms.All(r => c.LastSeq(r) == log[r].Keys.Max()));
        }, Patience, "every client has every event up to the last one");

        Assert.Empty(clients.SelectMany(c => c.Violations));
        foreach (var client in clients)
        {
            foreach (var room in rooms)
            {
                // Up to the end of the log as read; anything committed since is not compared.
                var end = log[room].Keys.Max();
                var seen = new SortedDictionary<long, string>(client.Seen(room).Where(e => e.Key <= end).ToDictionary());
                Assert.Equal(Enumerable.Range(1, (int)end).Select(s => (long)s), seen.Keys);
                Assert.Equal(log[room], seen);
            }
        }

        var acked = clients.SelectMany(c => c.Acked).ToHashSet();
        var stored = log.Values.SelectMany(l => l.Values).Where(e => e.StartsWith("message:", StringComparison.Ordinal))
            .Select(e => e[(e.LastIndexOf(':') + 1)..]).ToList();
        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.Equal(acked.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));

        // Every node answers "who" with the same thirty users.
        var expected = clients.Select(c => c.Name).Order(StringComparer.Ordinal).ToArray();
        await Eventually.Until(async () =>
        {
            // A socket dropped since the settle (a keep-alive missed on a busy machine) comes back first, as in the settle.
            await ReconnectDroppedAsync(clients, nodeUris, dead, random);

            // Every node needs a client to ask from: the shuffle may have left one without.
            foreach (var empty in nodeUris.Where(u => clients.All(c => c.Node != u)))
            {
                await clients.GroupBy(c => c.Node).OrderByDescending(g => g.Count()).First().First().ConnectAsync(empty);
            }

            var askers = nodeUris.Select(u => clients.First(c => c.Node == u)).ToList();
            foreach (var asker in askers)
            {
                await asker.AskWhoAsync(rooms[0]);
            }

            await Task.Delay(100);
            return askers.All(a => a.LastWho is { } who && who.Order(StringComparer.Ordinal).SequenceEqual(expected));
        }, Patience, "who from every node lists the same thirty users");

        foreach (var client in clients.Concat(gone))
        {
            await client.DisposeAsync();
        }
    }

    private static async Task ReconnectDroppedAsync(List<ChaosClient> clients, Uri[] nodes, HashSet<Uri> dead, Random random)
    {
        foreach (var client in clients.Where(c => !c.IsOpen))
        {
            var live = nodes.Where(n => !dead.Contains(n)).ToArray();
            try
            {
                await client.ConnectAsync(live[random.Next(live.Length)]);
            }
            catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or OperationCanceledException)
            {
                // That node is not accepting yet; the next round tries again.
            }
        }
    }

    private static async Task<(string Name, string Token)> SignUpAsync(Uri node, string name)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{node.Port}/") };
        var created = await http.PostAsync("api/accounts", System.Net.Http.Json.JsonContent.Create(new { name, password = TestAccounts.Password }));
        created.EnsureSuccessStatusCode();
        var session = await http.PostAsync("api/sessions", System.Net.Http.Json.JsonContent.Create(new { name, password = TestAccounts.Password }));
        session.EnsureSuccessStatusCode();
        using var body = System.Text.Json.JsonDocument.Parse(await session.Content.ReadAsStringAsync());
        return (name, body.RootElement.GetProperty("token").GetString()!);
    }

    private static async Task<SortedDictionary<long, string>> LogAsync(NpgsqlDataSource db, string room)
    {
        await using var command = db.CreateCommand("SELECT seq, action, username, coalesce(client_msg_id, '') FROM chat_log WHERE room = $1 ORDER BY seq");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = room });
        await using var reader = await command.ExecuteReaderAsync();
        var log = new SortedDictionary<long, string>();
        while (await reader.ReadAsync())
        {
            log[reader.GetInt64(0)] = $"{reader.GetString(1)}:{reader.GetString(2)}:{reader.GetString(3)}";
        }

        return log;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql, string pattern) => await ScalarAsync<long>(db, sql, pattern);

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql, string pattern)
    {
        await using var command = db.CreateCommand(sql.Replace("@p", "$1", StringComparison.Ordinal));
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = pattern });
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
