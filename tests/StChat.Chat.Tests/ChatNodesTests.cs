using System.Net.Http.Json;
using System.Text.Json;
using StChat.Chat.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

// Two chat nodes (real Kestrel hosts) sharing one PostgreSQL database and one real nats-server (Chat:Bus=nats), and
// separate node processes beside them where one must be killed or drained.
public sealed class ChatNodesTests : IAsyncLifetime
{
    // Fresh nodes, database and nats-server for every test: these tests kill, restart and drain, and must not inherit
    // what another one left behind.
    private readonly ChatNodesFixture _fixture = new();

    private NatsServer Nats => _fixture.Nats;

    private ChatHost A => _fixture.A;

    private ChatHost B => _fixture.B;

    public ValueTask InitializeAsync() => _fixture.InitializeAsync();

    public ValueTask DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task Members_on_two_nodes_see_every_event_once_and_in_the_same_order()
    {
        var room = "nodes-" + Guid.NewGuid().ToString("N")[..8];
        await using var onA = await A.ConnectAsync(room, "name=Ann");
        await using var onB = await B.ConnectAsync(room, "name=Bob");
        await onA.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Bob");

        const int each = 25;
        await Task.WhenAll(
            SendAllAsync(onA, "a", each),
            SendAllAsync(onB, "b", each));

        var seenByA = await EventsUntilAsync(onA, "b-" + (each - 1), "a-" + (each - 1));
        var seenByB = await EventsUntilAsync(onB, "b-" + (each - 1), "a-" + (each - 1));
        // The two started at different seqs (each saw the other's join at a different point); where they overlap, the
        // same seq is the same event.
        var atA = seenByA.ToDictionary(f => f.Seq(), f => f.GetRawText());
        Assert.All(seenByB.Where(f => atA.ContainsKey(f.Seq())), f => Assert.Equal(atA[f.Seq()], f.GetRawText()));
        foreach (var seen in new[] { seenByA, seenByB })
        {
            var messages = seen.Where(f => f.Action() == "message").Select(f => f.Str("id")).ToList();
            Assert.Equal(2 * each, messages.Count);
            Assert.Equal(messages.Count, messages.Distinct().Count());
            Assert.Equal(Enumerable.Range((int)seen[0].Seq(), seen.Count).Select(s => (long)s), seen.Select(f => f.Seq()));
        }
    }

    [Fact]
    public async Task Typing_read_markers_and_sign_out_cross_nodes()
    {
        var ann = await TestAccounts.SignUpAsync(A, "ann");
        var bob = await TestAccounts.SignUpAsync(A, "bob");
        var key = TestAccounts.DirectKey(ann, bob);
        await using var annOnA = await A.ConnectAsync("ws", ann.Token, "");
        await using var bobOnB = await B.ConnectAsync("ws", bob.Token, "");
        await using var annOnB = await B.ConnectAsync("ws", ann.Token, "");
        foreach (var socket in new[] { annOnA, bobOnB, annOnB })
        {
            await socket.SendAsync(new { action = "subscribe", room = key, after = 0 });
            await socket.ReceiveUntilAsync(f => f.Action() == "subscribed");
        }

        await annOnA.SendAsync(new { action = "message", room = key, message = "hi Bob", id = "x-1" });
        await bobOnB.ReceiveUntilAsync(f => f.IsMessage("x-1"));
        await annOnA.SendAsync(new { action = "typing", room = key });
        var typing = (await bobOnB.ReceiveUntilActionAsync("typing"))[^1];
        Assert.Equal(ann.Name, typing.Str("user"));

        // Bob reads on node B: Ann hears it on node A; Bob's own sockets are told once, through his account.
        await bobOnB.SendAsync(new { action = "read", room = key, seq = 1 });
        var read = (await annOnA.ReceiveUntilActionAsync("read"))[^1];
        Assert.Equal((bob.Name, 1L), (read.Str("user"), read.Seq()));

        // Signing out on node A closes the session's socket on node B with 4001.
        using var http = TestAccounts.Client(A, ann.Token);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await http.DeleteAsync("api/sessions/current")).StatusCode);
        await annOnB.ReceiveUntilClosedAsync();
        Assert.Equal(4001, (int?)annOnB.CloseStatus);
    }

    [Fact]
    public async Task A_node_that_cannot_reach_nats_reads_what_others_committed_from_postgresql_and_resumes_live_after()
    {
        var room = "cut-" + Guid.NewGuid().ToString("N")[..8];
        await using var onA = await A.ConnectAsync(room, "name=Ann");
        await using var onB = await B.ConnectAsync(room, "name=Bob");
        await onA.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Bob");

        await Nats.KillAsync();
        await onA.SendAsync("""{"message":"while NATS is down","id":"down-1"}""");
        await onA.ReceiveUntilActionAsync("ack");
        // Reconciled from chat_log every ReconcileInterval (0.5 s here) while the node is cut off.
        var during = await onB.ReceiveUntilAsync(f => f.IsMessage("down-1"), TimeSpan.FromSeconds(10));
        Assert.Single(during, f => f.IsMessage("down-1"));

        await Nats.RestartAsync();
        await Eventually.Until(async () =>
        {
            var id = "up-" + Guid.NewGuid().ToString("N")[..6];
            await onA.SendAsync(new { message = "after", id });
            return (await onB.ReceiveUntilAsync(f => f.IsMessage(id), TimeSpan.FromSeconds(5))).Count > 0;
        }, TimeSpan.FromSeconds(30), "events cross nodes again once nats-server is back");
    }

    [Fact]
    public async Task Who_online_and_join_exit_count_connections_on_every_node()
    {
        var ann = await TestAccounts.SignUpAsync(A, "ann");
        var room = "who-" + Guid.NewGuid().ToString("N")[..8];
        await using var watcher = await A.ConnectAsync(room, "name=Watcher");
        await watcher.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Watcher");

        var onA = await A.ConnectAsync($"rooms/{room}", ann.Token, "");
        await watcher.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == ann.Name);
        var onB = await B.ConnectAsync($"rooms/{room}", ann.Token, "");
        await using var asker = await B.ConnectAsync(room, "name=Asker");
        await Eventually.Until(async () =>
        {
            await asker.SendAsync("""{"action":"who"}""");
            var who = (await asker.ReceiveUntilActionAsync("who"))[^1];
            return who.GetProperty("users").EnumerateArray().Select(u => u.GetString()).Order().SequenceEqual(new[] { "Asker", ann.Name, "Watcher" }.Order());
        }, TimeSpan.FromSeconds(10), "who on node B lists the users of both nodes");

        using var http = TestAccounts.Client(B, ann.Token);
        var users = await http.GetFromJsonAsync<JsonElement>($"api/users?query={ann.Name}");
        Assert.True(users.GetProperty("users")[0].GetProperty("online").GetBoolean());

        // Ann's second node closes last: one exit, after it.
        await onA.CloseAsync();
        await onB.SendAsync(new { message = "still here from B", id = "still" });
        await watcher.ReceiveUntilAsync(f => f.IsMessage("still"));
        await onB.CloseAsync();
        var after = await watcher.ReceiveUntilAsync(f => f.Action() == "exit" && f.Str("user") == ann.Name);
        Assert.Single(after, f => f.Action() == "exit" && f.Str("user") == ann.Name);
        Assert.DoesNotContain(after, f => f.Action() == "join" && f.Str("user") == ann.Name);
        await onA.DisposeAsync();
        await onB.DisposeAsync();
    }

    [Fact]
    public async Task The_users_of_a_killed_node_get_their_exits_from_a_survivor_unless_connected_elsewhere()
    {
        var room = "kill-" + Guid.NewGuid().ToString("N")[..8];
        await using var victim = new ChatServerProcess(_fixture.ConnectionString, new Dictionary<string, string>
        {
            ["Chat__Bus"] = "nats",
            ["Nats__Url"] = Nats.Url,
            ["Chat__PresenceHeartbeat"] = "00:00:02",
            ["Chat__PresenceTimeout"] = "00:00:10",
        });
        await victim.StartAsync();
        await using var watcher = await A.ConnectAsync(room, "name=Watcher");
        await using var both = await A.ConnectAsync(room, "name=Both");
        await using var gone = await ChatClient.ConnectAsync(victim.Room(room, "name=Gone"));
        await using var bothOnVictim = await ChatClient.ConnectAsync(victim.Room(room, "name=Both"));
        await watcher.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Gone");

        await victim.KillAsync();
        var killed = DateTime.UtcNow;
        var frames = await watcher.ReceiveUntilAsync(f => f.Action() == "exit" && f.Str("user") == "Gone", TimeSpan.FromSeconds(40));
        var took = DateTime.UtcNow - killed;
        Assert.True(took < TimeSpan.FromSeconds(30), $"the exit took {took}");

        // Both is still connected on node A: no exit for them, now or after another heartbeat.
        await both.SendAsync("""{"message":"still here","id":"both-1"}""");
        frames.AddRange(await watcher.ReceiveUntilAsync(f => f.IsMessage("both-1")));
        Assert.DoesNotContain(frames, f => f.Action() == "exit" && f.Str("user") == "Both");
    }

    [Fact]
    public async Task A_draining_node_tells_its_clients_to_reconnect_and_they_resume_on_another_with_nothing_lost()
    {
        var room = "drain-" + Guid.NewGuid().ToString("N")[..8];
        await using var draining = new ChatServerProcess(_fixture.ConnectionString, new Dictionary<string, string>
        {
            ["Chat__Bus"] = "nats",
            ["Nats__Url"] = Nats.Url,
        });
        await draining.StartAsync();
        await using var watcher = await A.ConnectAsync(room, "name=Watcher");
        var moving = await ChatClient.ConnectAsync(draining.Room(room, "name=Mover"));
        await moving.SendAsync("""{"message":"before","id":"m-1"}""");
        var last = (await moving.ReceiveUntilAsync(f => f.IsMessage("m-1")))[^1].Seq();

        var terminated = draining.TerminateAsync();
        var end = await moving.ReceiveUntilClosedAsync();
        await terminated;
        Assert.Equal(0, draining.ExitCode);
        Assert.Contains(end, f => f.Action() == "reconnect");
        Assert.Equal(1012, (int?)moving.CloseStatus);

        // Written while the client was between nodes, then read back by its resume on node A.
        await watcher.SendAsync("""{"message":"while moving","id":"w-1"}""");
        await watcher.ReceiveUntilAsync(f => f.IsMessage("w-1"));
        await using var resumed = await A.ConnectAsync(room, $"name=Mover&after={last}");
        var replay = (await resumed.ReceiveUntilAsync(f => f.IsMessage("w-1"))).Where(f => f.IsEvent()).ToList();
        Assert.Equal(last + 1, replay[0].Seq());
        Assert.Equal(Enumerable.Range((int)replay[0].Seq(), replay.Count).Select(s => (long)s), replay.Select(f => f.Seq()));
        await moving.DisposeAsync();
    }

    private static async Task SendAllAsync(ChatClient client, string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await client.SendAsync(new { message = $"{prefix} {i}", id = $"{prefix}-{i}" });
        }
    }

    // Events up to and including both ids; each id once.
    private static async Task<List<JsonElement>> EventsUntilAsync(ChatClient client, string first, string second)
    {
        var seen = new List<JsonElement>();
        await client.ReceiveUntilAsync(f =>
        {
            if (f.IsEvent())
            {
                seen.Add(f);
            }

            return seen.Any(e => e.IsMessage(first)) && seen.Any(e => e.IsMessage(second));
        });
        return seen;
    }
}
